"""Out-of-distribution checks of the training recipe on a Bitext-layout file (``aftercart support validate``).

Cross-validation on the shared file says little (its utterances are variations of a few templates, so
every test row has near-twins in training); these protocols hold out what real customers change:

* ``cv``: stratified 5-fold cross-validation (the optimistic baseline);
* ``flags``: for each of Bitext's language-variation tags Q (colloquial), Z (typos and noise), P (polite)
  and W (offensive), train without every utterance carrying it and
  test on those utterances;
* ``templates``: 3 folds that hold out whole phrasing frames, the carrier phrases around the intent's
  words (:func:`.training.template_groups`);
* ``cores``: 3 folds that hold out whole intent wordings (the words specific to few intents: "track
  order" against "check status order eta"), each test row's core unseen in training.

Every model in a protocol is trained with the full recipe (templates, noise, temperature fitted on
the development paraphrases) and scored with :func:`.scoring.score` at the given threshold.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from aftercart.domain.support.intents import classify_many
from aftercart.domain.support.model import IntentModel
from aftercart.domain.support.scoring import Scored, coarse, score
from aftercart.domain.support.training import DEFAULT_SEED, Row, template_groups, train

FLAGS = "QZPW"
PROTOCOLS = ("cv", "flags", "templates", "cores")


def scored(model: IntentModel, rows: Sequence[Row], threshold: float) -> list[Scored]:
    """Each row's true (coarse) label and the model's answer at ``threshold`` (None if unsure)."""
    preds = classify_many([r.utterance for r in rows], using=model)
    return [
        Scored(coarse(r.intent), p.intent if p.confidence >= threshold else None)
        for r, p in zip(rows, preds, strict=True)
    ]


def _run(
    splits: Sequence[tuple[str, Sequence[Row], Sequence[Row]]],
    calibration: Sequence[Row],
    threshold: float,
    seed: int,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    pooled: list[Scored] = []
    parts: dict[str, Any] = {}
    for name, train_rows, test_rows in splits:
        progress(f"{name}: training on {len(train_rows)} rows, testing on {len(test_rows)}")
        model = IntentModel.from_arrays(train(train_rows, seed=seed, calibration=calibration))
        result = scored(model, test_rows, threshold)
        pooled.extend(result)
        figures = score(result)
        parts[name] = {k: figures[k] for k in ("messages", "wismo", "macro_f1", "unsure_rate")}
    return {**score(pooled), "parts": parts}


def validate(
    rows: Sequence[Row],
    protocol: str,
    *,
    calibration: Sequence[Row],
    threshold: float,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """The pooled figures of one protocol (and each fold's, under ``parts``)."""
    splits: list[tuple[str, Sequence[Row], Sequence[Row]]] = []
    if protocol == "cv":
        # Stratified: each intent's rows dealt round-robin into 5 folds after a seeded shuffle.
        fold_of: dict[int, int] = {}
        by_intent: dict[str, list[int]] = {}
        for i, r in enumerate(rows):
            by_intent.setdefault(r.intent, []).append(i)
        rng = random.Random(seed)
        for intent in sorted(by_intent):
            members = by_intent[intent]
            rng.shuffle(members)
            for k, i in enumerate(members):
                fold_of[i] = k % 5
        for fold in range(5):
            test = [r for i, r in enumerate(rows) if fold_of[i] == fold]
            train_rows = [r for i, r in enumerate(rows) if fold_of[i] != fold]
            splits.append((f"fold {fold + 1}", train_rows, test))
    elif protocol == "flags":
        for flag in FLAGS:
            test = [r for r in rows if flag in r.flags]
            train_rows = [r for r in rows if flag not in r.flags]
            if test:
                splits.append((f"flag {flag}", train_rows, test))
    elif protocol in ("templates", "cores"):
        keys = template_groups(rows, part="frame" if protocol == "templates" else "core")
        groups = sorted(set(keys))
        random.Random(seed).shuffle(groups)
        group_fold = {g: i % 3 for i, g in enumerate(groups)}
        row_fold = [group_fold[k] for k in keys]
        for fold in range(3):
            test = [r for r, k in zip(rows, row_fold, strict=True) if k == fold]
            train_rows = [r for r, k in zip(rows, row_fold, strict=True) if k != fold]
            splits.append((f"{protocol} {fold + 1}", train_rows, test))
    else:
        raise ValueError(f"unknown protocol {protocol!r} (one of {', '.join(PROTOCOLS)})")
    return _run(splits, calibration, threshold, seed, progress)
