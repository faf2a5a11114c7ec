"""Training the intent model from Bitext-layout CSVs into the shipped artifact (seeded, deterministic).

``train(rows, seed=...)`` returns the artifact's arrays; ``save_artifact`` writes them with a
``.json`` sidecar (version, sha256, settings). What goes in:

1. every Bitext utterance, labelled with its own fine intent (27 of them; the 15 that are not ours
   add up to ``other`` at prediction time, which keeps near-synonyms such as
   ``contact_customer_service`` against ``contact_human_agent`` or ``set_up_shipping_address`` against
   ``change_shipping_address`` apart instead of blurring them into one class);
2. our own phrasing templates (:mod:`.augment`), each filled several times;
3. a seeded noisy copy of each of those (typos, greetings, signatures, numbers, wrappers);

all put in canonical form (:func:`.text.canonical`). The classifier is scikit-learn's multinomial
logistic regression; the softmax temperature is then fitted on the development paraphrases
(``model/paraphrases_dev.csv``, hand-written, never trained on), so the confidence is calibrated for
wording the model has not seen, not for its own training sentences (which it fits almost perfectly).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from aftercart.domain.support import augment
from aftercart.domain.support.intents import INTENTS, OTHER
from aftercart.domain.support.model import (
    CHAR_PARAMS,
    CHAR_WEIGHT,
    WORD_PARAMS,
    IntentModel,
    features,
    softmax,
)
from aftercart.domain.support.normalise import SYNONYMS, canonical, words

#: Version of the training recipe (bump when the recipe changes, not when the data does).
RECIPE_VERSION = "1"
DEFAULT_SEED = 15
#: Inverse regularisation strength of the logistic regression.
C = 4.0
TEMPLATE_FILLS = 6


@dataclass(frozen=True)
class Row:
    """One labelled utterance; ``group`` names its phrasing template, ``flags`` Bitext's tags."""

    utterance: str
    intent: str
    flags: str = ""
    group: str = ""


class DataError(ValueError):
    """The CSV cannot be used (unreadable, or without ``utterance`` and ``intent`` columns)."""


def read_rows(text: str) -> list[Row]:
    """Rows of a Bitext-layout CSV (``utterance``, ``intent``; ``flags`` if present; BOM tolerated)."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    fields = [f.strip() for f in (reader.fieldnames or [])]
    missing = [name for name in ("utterance", "intent") if name not in fields]
    if missing:
        raise DataError(f"missing column(s): {', '.join(missing)} (found: {', '.join(fields) or 'none'})")
    reader.fieldnames = fields
    return [
        Row(
            utterance=(rec.get("utterance") or "").strip(),
            intent=(rec.get("intent") or "").strip(),
            flags=(rec.get("flags") or "").strip(),
        )
        for rec in reader
    ]


def read_csv(path: Path) -> list[Row]:
    """:func:`read_rows` of a file; :class:`DataError` if it cannot be read as UTF-8 text."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    return read_rows(text)


def template_groups(rows: Sequence[Row], *, part: str = "frame") -> list[str]:
    """Each row's phrasing template, split into its frame and its core.

    A word used by more than three intents belongs to the *frame* ("could you help me _ my _ ?"),
    the others to the *core* ("track order"). ``part="frame"`` keys rows by frame, ``part="core"`` by
    core: holding out frames tests carrier phrases the model has never seen, holding out cores tests
    intent wordings it has never seen (the harder of the two).
    """
    per_word: dict[str, set[str]] = {}
    tokenised = [words(r.utterance) for r in rows]
    for toks, row in zip(tokenised, rows, strict=True):
        for tok in toks:
            per_word.setdefault(tok, set()).add(row.intent)
    if part == "core":
        return [" ".join(t for t in toks if len(per_word[t]) <= 3) for toks in tokenised]
    return [" ".join(t if len(per_word[t]) > 3 else "_" for t in toks) for toks in tokenised]


def corpus(rows: Sequence[Row], seed: int, template_fills: int = TEMPLATE_FILLS) -> list[Row]:
    """Bitext rows, our template rows, and a noisy copy of each; ``group`` set on every row."""
    rng = random.Random(seed)
    frames = template_groups(rows)
    base = [Row(r.utterance, r.intent, r.flags, "bitext:" + f) for r, f in zip(rows, frames, strict=True)]
    for index, template_intent in enumerate(
        (intent, template) for intent, templates in augment.TEMPLATES.items() for template in templates
    ):
        intent, template = template_intent
        for _ in range(template_fills):
            base.append(Row(augment.fill(template, rng), intent, "", f"template:{index}"))
    noisy = [Row(augment.noisy(r.utterance, rng), r.intent, r.flags, r.group) for r in base]
    return base + noisy


def known_words(rows: Iterable[Row]) -> list[str]:
    """Words the spelling corrector leaves alone: seen at least twice in clean text, or a synonym."""
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(words(row.utterance))
    return sorted({w for w, n in counts.items() if n >= 2 and w.isalpha()} | set(SYNONYMS))


def _fit(
    texts: Sequence[str], labels: Sequence[str], seed: int
) -> tuple[TfidfVectorizer, TfidfVectorizer, LogisticRegression]:
    word_vec = TfidfVectorizer(min_df=2, **WORD_PARAMS).fit(texts)
    char_vec = TfidfVectorizer(min_df=2, **CHAR_PARAMS).fit(texts)
    x = features(word_vec, char_vec, texts)
    clf = LogisticRegression(C=C, max_iter=1000, random_state=seed)
    clf.fit(x, labels)
    return word_vec, char_vec, clf


def coarse_matrix(classes: Sequence[str]) -> np.ndarray:
    """0/1 matrix summing fine class probabilities into our intents then ``other`` (last column)."""
    out = np.zeros((len(classes), len(INTENTS) + 1))
    for row, cls in enumerate(classes):
        out[row, INTENTS.index(cls) if cls in INTENTS else len(INTENTS)] = 1.0
    return out


#: L2 penalty on the per-intent offsets fitted with the temperature (keeps them small on few rows).
OFFSET_PENALTY = 0.05


def fit_calibration(
    logits: np.ndarray, unknown: np.ndarray, truth: np.ndarray, collapse: np.ndarray
) -> tuple[float, float, np.ndarray]:
    """Temperature ``t``, unknown-word factor ``b`` and per-intent offsets minimising the negative
    log-likelihood of the true *coarse* labels (``truth`` indexes the columns of ``collapse``).

    A message with a share ``u`` of words the model has never seen is scored at temperature
    ``t * (1 + b * u)``; each intent's offset is added to the scores of its fine classes ("vector
    scaling" reduced to a bias per intent): it corrects the prior the training mix gives each intent,
    which is not the mix of real messages. Offsets are penalised (L2) and ``other`` is the reference.
    """
    rows = np.arange(len(truth))
    n_coarse = collapse.shape[1]

    def nll(params: np.ndarray) -> float:
        t, b = float(params[0]), float(params[1])
        offsets = collapse[:, : n_coarse - 1] @ params[2:]
        p = softmax((logits + offsets) / (t * (1.0 + b * unknown))[:, None]) @ collapse
        return float(-np.mean(np.log(p[rows, truth] + 1e-12)) + OFFSET_PENALTY * np.sum(params[2:] ** 2))

    start = np.concatenate([[1.0, 0.0], np.zeros(n_coarse - 1)])
    bounds = [(0.05, 20.0), (0.0, 20.0)] + [(-5.0, 5.0)] * (n_coarse - 1)
    best = minimize(nll, x0=start, bounds=bounds, method="L-BFGS-B")
    offsets = collapse[:, : n_coarse - 1] @ best.x[2:]
    return float(best.x[0]), float(best.x[1]), offsets


def train(
    rows: Sequence[Row],
    *,
    seed: int = DEFAULT_SEED,
    calibration: Sequence[Row] = (),
    template_fills: int = TEMPLATE_FILLS,
) -> dict[str, np.ndarray]:
    """The artifact's arrays, trained on ``rows`` (Bitext layout); deterministic for a seed.

    ``calibration`` rows (hand-written paraphrases, never trained on) fit the softmax temperature;
    without them the temperature is 1. Numerical libraries run on one thread: the same bytes on any
    machine's thread count, and no threads spinning against each other on a busy machine (on a
    loaded 2-core box a small model trains in 4 s on one thread against 23 s on two).
    """
    with threadpool_limits(limits=1):
        return _train(rows, seed, calibration, template_fills)


def _train(
    rows: Sequence[Row], seed: int, calibration: Sequence[Row], template_fills: int
) -> dict[str, np.ndarray]:
    data = corpus(rows, seed, template_fills)
    texts = [canonical(r.utterance) for r in data]
    word_vec, char_vec, clf = _fit(texts, [r.intent for r in data], seed)
    arrays = {
        "classes": np.array([str(c) for c in clf.classes_]),
        "word_vocab": word_vec.get_feature_names_out().astype(str),
        "word_idf": word_vec.idf_.astype(np.float32),
        "char_vocab": char_vec.get_feature_names_out().astype(str),
        "char_idf": char_vec.idf_.astype(np.float32),
        "coef": clf.coef_.T.astype(np.float16),
        "intercept": clf.intercept_.astype(np.float32),
        "temperature": np.array(1.0),
        "unknown_factor": np.array(0.0),
        # Bitext and template rows before the noise: the words the spelling corrector leaves alone.
        "known_words": np.array(known_words(data[: len(data) // 2])),
        "template_fills": np.array(template_fills),
    }
    if calibration:
        temperature, beta, offsets = calibrate(arrays, calibration)
        arrays["temperature"] = np.array(temperature)
        arrays["unknown_factor"] = np.array(beta)
        arrays["intercept"] = (arrays["intercept"] + offsets).astype(np.float32)
    return arrays


def calibrate(arrays: dict[str, np.ndarray], rows: Sequence[Row]) -> tuple[float, float, np.ndarray]:
    """The temperature and unknown-word factor that fit the model's coarse probabilities to ``rows``."""
    model = IntentModel.from_arrays(arrays)
    texts = [r.utterance for r in rows]
    collapse = coarse_matrix(model.classes)
    labels = (*INTENTS, OTHER)
    truth = np.array([labels.index(r.intent) if r.intent in INTENTS else len(INTENTS) for r in rows])
    return fit_calibration(
        model.logits(texts).astype(np.float64), model.unknown_share(texts), truth, collapse
    )


def save_artifact(arrays: dict[str, np.ndarray], path: Path, *, data_path: Path | None, seed: int) -> str:
    """Write the ``.npz`` (deterministically) and its ``.json`` sidecar; returns the sha256."""
    payload = _deterministic_npz(arrays)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    meta = {
        "recipe_version": RECIPE_VERSION,
        "sha256": digest,
        "bytes": len(payload),
        "seed": seed,
        "data": data_path.name if data_path else None,
        "classes": [str(c) for c in arrays["classes"]],
        "features": {"word": int(arrays["word_vocab"].size), "char": int(arrays["char_vocab"].size)},
        "temperature": round(float(arrays["temperature"]), 6),
        "unknown_factor": round(float(arrays["unknown_factor"]), 6),
        "C": C,
        "template_fills": int(arrays["template_fills"]),
        "char_weight": CHAR_WEIGHT,
    }
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return digest


def _deterministic_npz(arrays: dict[str, np.ndarray]) -> bytes:
    """An ``.npz`` whose bytes depend only on the arrays (fixed zip timestamps, sorted names)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.save(member, arrays[name], allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue(), compresslevel=9)
    return buffer.getvalue()
