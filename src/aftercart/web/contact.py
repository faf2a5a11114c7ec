"""``POST /t/<token>/contact``: the customer's question from their order's tracking page.

The order is the one the signed link names (nothing typed by the customer decides it), the
sender its e-mail address. The message is stored as a support conversation and decided at once
(:func:`aftercart.support.services.message_take`): the page then shows the automated answer —
the order's next step as the page itself words it, and its link — or says a person will answer
by e-mail. CSRF-protected; an empty or oversized message writes nothing (400).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from aftercart.orders.selectors import order_view
from aftercart.orders.tokens import link_days_after_delivery, link_expired, read_tracking_token
from aftercart.support.models import Channel
from aftercart.support.services import Inbound, message_take
from aftercart.web.language import choose_language
from aftercart.web.pages import page_frame, private, render_page

#: Characters a question from the page may have.
MAX_QUESTION = 5000


@never_cache
@csrf_protect
@require_POST
def track_contact(request: HttpRequest, token: str) -> HttpResponse:
    """Store the question, answer it when the automation can (see the module)."""
    order = read_tracking_token(token)
    if order is None:
        language = choose_language(request)
        context = page_frame(request, None, language, reason="invalid")
        return private(render_page(request, "web/track/link_problem.html", context, language, status=404))
    now = timezone.now()
    state = order_view(order, now)[0]
    language = choose_language(request, state=state, store=order.store)
    if link_expired(order, state, now):
        context = page_frame(
            request, order.store, language, reason="expired", days=link_days_after_delivery()
        )
        return private(render_page(request, "web/track/link_problem.html", context, language, status=410))
    page_url = reverse("web:track-order", kwargs={"token": token})
    text = str(request.POST.get("message", "")).strip()
    context = page_frame(request, order.store, language, page_url=page_url)
    if not text or len(text) > MAX_QUESTION:
        with translation.override(language):
            context["problem"] = (
                gettext("Please write your question.")
                if not text
                else gettext("Your message is too long: please keep it under %(limit)s characters.")
                % {"limit": MAX_QUESTION}
            )
        return private(render_page(request, "web/track/contact_sent.html", context, language, status=400))
    inbound = Inbound(
        channel=Channel.FORM.value,
        sender_email=state.email or order.email,
        sender_name=state.customer_name,
        subject=str(request.POST.get("subject", ""))[:300],
        text=text,
        order_id=order.pk,
        language=language,
        region=order.store.country,
    )
    received, automation = message_take(store_id=order.store_id, inbound=inbound, now=now)
    reply = automation.reply if automation is not None and automation.reply is not None else None
    context["reply"] = reply.body if reply is not None else ""
    context["conversation"] = received.conversation.public_id
    return private(render_page(request, "web/track/contact_sent.html", context, language))
