"""``aftercart feedback classify FILE.csv --json``: one JSON object per input row, in order."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from aftercart.domain.feedback.reasons import REASONS, classify_feedback


def _classify(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("aftercart_feedback", "classify", str(path), *args, stdout=out)
    return out.getvalue()


def test_json_lines_one_per_row_in_order_zero_based(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text(
        "\ufeffreview_id,review_score,review_comment_title,review_comment_message,extra\n"
        'a,1,,"Não recebi o produto, já passou do prazo",x\n'
        "b,5,,,y\n"
        'c,5,Ótimo,"Chegou antes do prazo,\nmuito bom",z\n'
        "d,,,The zipper broke on day one,\n",
        encoding="utf-8",
    )
    lines = _classify(path, "--json").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["row"] for r in records] == [0, 1, 2, 3]
    assert all(set(r) == {"row", "theme", "reason", "confidence"} for r in records)
    assert all(REASONS[r["reason"]] == r["theme"] and 0 <= r["confidence"] <= 1 for r in records)
    assert records[0]["theme"] == "delivery_problem"
    assert records[1]["theme"] == "satisfied"  # no text: from the score
    assert records[2] == {"row": 2, **_label("Chegou antes do prazo,\nmuito bom", "Ótimo", 5)}
    assert records[3]["theme"] == "quality_problem"


def _label(message: str, title: str | None, score: int | None) -> dict[str, object]:
    label = classify_feedback(message, title=title, score=score)
    return {"theme": label.theme, "reason": label.reason, "confidence": label.confidence}


def test_only_the_message_column_is_required(tmp_path: Path) -> None:
    path = tmp_path / "bare.csv"
    path.write_text("review_comment_message\nveio quebrado\n\n", encoding="utf-8")
    records = [json.loads(line) for line in _classify(path, "--json").splitlines()]
    assert [r["row"] for r in records] == [0]
    assert records[0]["theme"] == "quality_problem"


def test_missing_message_column_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("review_id,comment\n1,hello\n", encoding="utf-8")
    with pytest.raises(CommandError, match="review_comment_message"):
        _classify(path, "--json")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not a file"):
        _classify(tmp_path / "absent.csv", "--json")


def test_table_output_without_json(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text("review_comment_message,review_score\nAdorei,5\n", encoding="utf-8")
    out = _classify(path)
    assert "satisfied" in out and "Adorei" in out
