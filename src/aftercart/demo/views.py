"""The demo mailbox for operators: every e-mail the demo's customers received, and which
milestones and languages they cover."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from aftercart.demo.mailbox import digest_of, mailbox_dir, mailbox_list, mailbox_read, outbox_by_digest
from aftercart.domain.milestones import Milestone
from aftercart.kernel.csp import csp_inline_styles

LISTED = 300


@staff_member_required
def mailbox(request: HttpRequest) -> HttpResponse:
    """The coverage grid (milestone × language, each cell a link to the latest example) and the
    latest e-mails; ``?milestone=`` and ``?language=`` narrow the list."""
    received = mailbox_list()
    sent = outbox_by_digest()
    rows = [(mail, sent.get(digest_of(mail.message_id))) for mail in received]
    languages = sorted({mail.language for mail, _ in rows if mail.language})
    grid: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for mail, origin in rows:
        if origin is not None:
            grid[origin.milestone][mail.language].append(mail.key)
    coverage: list[dict[str, Any]] = [
        {
            "milestone": m.value,
            "cells": [
                {
                    "language": lang,
                    "count": len(grid[m.value][lang]),
                    "latest": (grid[m.value][lang] or [""])[0],
                }
                for lang in languages
            ],
        }
        for m in Milestone
    ]
    milestone = request.GET.get("milestone", "")
    language = request.GET.get("language", "")
    listed = [
        (mail, origin)
        for mail, origin in rows
        if (not milestone or (origin is not None and origin.milestone == milestone))
        and (not language or mail.language == language)
    ]
    return render(
        request,
        "demo/mailbox.html",
        {
            "directory": mailbox_dir(),
            "total": len(rows),
            "languages": languages,
            "coverage": coverage,
            "missing": sum(1 for row in coverage for cell in row["cells"] if not cell["count"]),
            "listed": listed[:LISTED],
            "listed_total": len(listed),
            "milestone": milestone,
            "language": language,
        },
    )


@staff_member_required
@csp_inline_styles  # the e-mail's own styles, in the sandboxed frame that inherits this policy
def mailbox_message(request: HttpRequest, key: str) -> HttpResponse:
    """One received e-mail: its headers, the HTML as the customer's client would show it
    (sandboxed: no scripts, no navigation of this page) and the plain-text part."""
    found = mailbox_read(key)
    if found is None:
        raise Http404("No such e-mail in the mailbox.")
    mail, html, text = found
    origin = outbox_by_digest().get(digest_of(mail.message_id))
    return render(request, "demo/message.html", {"mail": mail, "html": html, "text": text, "origin": origin})
