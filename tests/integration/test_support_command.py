"""``aftercart support eval|train``: the evaluation's JSON and arithmetic, clear errors, a seeded
retrain that reproduces itself, and the accuracy floor on the hand-written check paraphrases."""

from __future__ import annotations

import json
from io import StringIO
from itertools import pairwise
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from aftercart.cli import main
from aftercart.commands.management.commands import aftercart_support
from aftercart.domain.support.intents import INTENTS, OTHER, IntentPrediction
from aftercart.domain.support.model import IntentModel
from tests.conftest import shared_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "support"
CHECK_SET = FIXTURES / "paraphrases.csv"
DEV_SET = aftercart_support.CALIBRATION


def run(*args: str) -> str:
    out = StringIO()
    call_command("aftercart_support", *args, stdout=out)
    return out.getvalue()


# A hand-computed evaluation: a BOM, extra columns, an unknown label, two rows below the threshold.
HAND_CSV = (
    "\ufeffflags,utterance,category,intent,note\n"
    "B,where is my parcel,ORDER,track_order,x\n"
    "B,when will it arrive,DELIVERY,delivery_period,x\n"
    "B,cancel it,ORDER,cancel_order,x\n"
    "B,refund pls,REFUND,get_refund,x\n"
    "B,reset my password,ACCOUNT,recover_password,x\n"
    "B,where is my order 123,ORDER,track_order,x\n"
    "B,talk to a human,CONTACT,contact_human_agent,x\n"
    "B,I want my money back,REFUND,get_refund,x\n"
)
HAND_PREDICTIONS = {
    "where is my parcel": IntentPrediction("track_order", 0.9),
    "when will it arrive": IntentPrediction("track_order", 0.8),  # WISMO hit, wrong intent
    "cancel it": IntentPrediction("track_order", 0.7),  # a false WISMO
    "refund pls": IntentPrediction("get_refund", 0.3),  # below 0.5: not answered
    "reset my password": IntentPrediction(OTHER, 0.9),  # recover_password counts as other
    "where is my order 123": IntentPrediction("delivery_period", 0.4),  # below 0.5: not answered
    "talk to a human": IntentPrediction("contact_human_agent", 0.95),
    "I want my money back": IntentPrediction("get_refund", 0.6),
}


def test_eval_json_shape_and_arithmetic_by_hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "hand.csv"
    path.write_text(HAND_CSV, encoding="utf-8")
    monkeypatch.setattr(
        aftercart_support, "classify_many", lambda texts: [HAND_PREDICTIONS[t] for t in texts]
    )

    out = run("eval", str(path), "--json", "--threshold", "0.5")
    assert out.count("\n") <= 1, "exactly one JSON object"
    result = json.loads(out)

    assert set(result) == {"messages", "wismo", "macro_f1", "unsure_rate", "per_intent"}
    assert result["messages"] == 8
    # WISMO predictions: rows 1-3; WISMO truths: rows 1, 2, 6; both: rows 1, 2.
    assert result["wismo"] == {"precision": 0.6667, "recall": 0.6667}
    assert result["unsure_rate"] == 0.25
    per = result["per_intent"]
    assert set(per) == {*INTENTS, OTHER}
    assert per["track_order"] == {"precision": 0.3333, "recall": 0.5, "f1": 0.4, "support": 2}
    assert per["delivery_period"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert per["get_refund"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert per["contact_human_agent"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert per[OTHER] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert per["review"]["support"] == 0
    # Mean over the twelve intents: (0.4 + 2/3 + 1) / 12.
    assert result["macro_f1"] == round((0.4 + 2 / 3 + 1) / 12, 4)


def test_eval_with_the_shipped_model_prints_a_table(tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    path.write_text(
        "utterance,intent\nwhere is my parcel?,track_order\nplease cancel my order,cancel_order\n"
    )
    out = run("eval", str(path))
    assert "2 messages" in out
    assert "track_order" in out and "WISMO precision 1.000, recall 1.000" in out


def test_eval_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        run("eval", str(tmp_path / "missing.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nhello,other\n")
    with pytest.raises(CommandError, match="missing column"):
        run("eval", str(bad))
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00utterance")
    with pytest.raises(CommandError, match="cannot read"):
        run("eval", str(binary))


def test_eval_exits_non_zero_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("utterance\nhello\n")
    with pytest.raises(SystemExit) as exited:
        main(["aftercart", "support", "eval", str(bad), "--json"])
    assert exited.value.code not in (0, None)
    captured = capsys.readouterr()
    assert "missing column(s): intent" in captured.err
    assert captured.out == ""


@pytest.mark.shared_data
def test_train_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    source = shared_path("support_intents", "bitext_customer_service_8k_utterances.csv")
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    small = tmp_path / "small.csv"
    small.write_text("\n".join([lines[0], *lines[1::60]]) + "\n", encoding="utf-8")  # ~140 rows
    outs = []
    for name in ("a", "b"):
        out = tmp_path / f"{name}.npz"
        run("train", "--data", str(small), "--out", str(out), "--seed", "7", "--template-fills", "1")
        outs.append(out)
    assert outs[0].read_bytes() == outs[1].read_bytes()
    meta = json.loads(outs[0].with_suffix(".json").read_text())
    assert meta["seed"] == 7 and meta["template_fills"] == 1 and meta["data"] == "small.csv"
    retrained = IntentModel.load(outs[0])
    assert retrained.sha256 == meta["sha256"]
    assert set(INTENTS) <= set(retrained.classes)


@pytest.mark.parametrize("path", [CHECK_SET, DEV_SET], ids=["check", "dev"])
def test_accuracy_on_the_hand_written_paraphrases_meets_the_targets(path: Path) -> None:
    """The issue's targets on wording the training file does not contain (never trained on)."""
    result = json.loads(run("eval", str(path), "--json"))
    assert result["messages"] >= 260
    assert result["wismo"]["precision"] >= 0.95
    assert result["wismo"]["recall"] >= 0.80
    assert result["macro_f1"] >= 0.80
    assert result["unsure_rate"] <= 0.10


def test_confidence_is_calibrated_on_the_check_paraphrases() -> None:
    """Expected calibration error (5 confidence bins) stays small on wording never trained on."""
    import numpy as np

    from aftercart.domain.support.intents import classify_many
    from aftercart.domain.support.scoring import coarse
    from aftercart.domain.support.training import read_csv

    rows = read_csv(CHECK_SET)
    preds = classify_many([r.utterance for r in rows])
    conf = np.array([p.confidence for p in preds])
    right = np.array([p.intent == coarse(r.intent) for r, p in zip(rows, preds, strict=True)])
    edges = [0.0, 0.6, 0.8, 0.95, 0.99, 1.01]
    ece = 0.0
    for lo, hi in pairwise(edges):
        inside = (conf >= lo) & (conf < hi)
        if inside.any():
            ece += inside.mean() * abs(conf[inside].mean() - right[inside].mean())
    assert ece <= 0.06
    assert right[conf >= 0.99].mean() >= 0.97  # "sure" means sure
