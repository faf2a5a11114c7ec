"""What to do about a customer's message: answer it, act on it, ask, or hand it to a person.

:func:`decide` is the whole policy as one pure function of a :class:`Situation`. Its promise:
nothing is automated below the store's confidence threshold, for an auto-reply, or twice for the
same order state in one conversation; and nothing is answered automatically when something is
wrong (the order lost, damaged, stalled, delivered yet "not arrived", words of harm or an angry
tone): those go to a person with the reasons, and a drafted reply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from aftercart.domain.support.intents import WISMO_INTENTS


class Decision(StrEnum):
    ANSWER = "answered"
    ASK_ORDER = "asked_order"
    ACT = "acted"
    REFUSE = "refused"
    ESCALATE = "escalated"
    QUEUE = "queued"
    IGNORE = "ignored"


class Reply(StrEnum):
    """Which automated reply goes (the support app words each through gettext and the presenter)."""

    NONE = ""
    NEXT_STEP = "next_step"
    WHICH_ORDER = "which_order"
    ASK_NUMBER = "ask_number"
    CANCELLED = "cancelled"
    CANNOT_CANCEL = "cannot_cancel"
    ADDRESS_CHANGED = "address_changed"
    CANNOT_CHANGE_ADDRESS = "cannot_change_address"
    RETURNS = "returns"


#: Next steps where nothing is wrong: an automated answer tells the customer all there is.
ROUTINE_STEPS = frozenset(
    {
        "awaiting_fulfilment",
        "being_prepared",
        "shipped",
        "partially_shipped",
        "out_for_delivery",
        "ready_for_pickup",
        "delivered",
    }
)
#: How long after delivery "it was delivered" is still the routine answer.
RECENT_DELIVERY = timedelta(days=14)
#: A parcel not scanned for this long is stalled, whatever the carrier says.
STALLED = timedelta(hours=72)
REFUND_INTENTS = frozenset({"get_refund", "track_refund", "check_refund_policy"})

#: Words that mean harm or a wrong delivery, per language (matched as whole words, case-folded).
HARM_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": (
        "broken",
        "damaged",
        "wrong",
        "missing",
        "allergic",
        "allergy",
        "injured",
        "stolen",
        "smashed",
        "leaking",
        "defective",
        "fraud",
        "lawyer",
        "chargeback",
    ),
    "de": (
        "kaputt",
        "beschädigt",
        "defekt",
        "falsch",
        "falsche",
        "fehlt",
        "fehlen",
        "allergisch",
        "allergie",
        "gestohlen",
        "verletzt",
        "anwalt",
    ),
    "es": (
        "roto",
        "rota",
        "dañado",
        "dañada",
        "equivocado",
        "incorrecto",
        "falta",
        "faltan",
        "alérgico",
        "alérgica",
        "alergia",
        "robado",
        "abogado",
    ),
    "fr": (
        "cassé",
        "cassée",
        "abîmé",
        "abîmée",
        "endommagé",
        "mauvais",
        "erroné",
        "manquant",
        "manque",
        "allergique",
        "allergie",
        "volé",
        "avocat",
    ),
    "pt": (
        "quebrado",
        "quebrada",
        "danificado",
        "danificada",
        "errado",
        "errada",
        "faltando",
        "falta",
        "alérgico",
        "alérgica",
        "alergia",
        "roubado",
        "advogado",
        "procon",
    ),
}
#: "It says delivered but I have nothing", per language (substrings, case-folded).
NOT_ARRIVED: Mapping[str, tuple[str, ...]] = {
    "en": (
        "not arrived",
        "never arrived",
        "didn't arrive",
        "did not arrive",
        "hasn't arrived",
        "not received",
        "never received",
        "didn't receive",
        "did not receive",
        "haven't received",
        "says delivered",
        "marked as delivered",
        "shows delivered",
        "not here",
        "nowhere",
    ),
    "de": ("nicht angekommen", "nie angekommen", "nicht erhalten", "nichts erhalten", "als zugestellt"),
    "es": ("no ha llegado", "no llegó", "nunca llegó", "no he recibido", "no recibí", "como entregado"),
    "fr": ("pas arrivé", "jamais arrivé", "pas reçu", "rien reçu", "jamais reçu", "comme livré"),
    "pt": ("não chegou", "nunca chegou", "não recebi", "nada chegou", "como entregue"),
}
ANGRY_WORDS = (
    "ridiculous",
    "unacceptable",
    "disgusting",
    "furious",
    "worst",
    "scam",
    "useless",
    "pathetic",
    "angry",
    "wtf",
    "incompetent",
    "inaceptable",
    "vergonha",
    "inadmissible",
    "inacceptable",
    "unverschämt",
    "frechheit",
    "absurdo",
    "lamentable",
    "honteux",
    "péssimo",
    "estafa",
    "arnaque",
    "betrug",
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


def harm_words(text: str, languages: tuple[str, ...] = ()) -> list[str]:
    """The words of harm in ``text`` (English and ``languages``), in the order found, once each."""
    words = {w.casefold() for w in _WORD.findall(text or "")}
    found: list[str] = []
    for language in ("en", *languages):
        for word in HARM_WORDS.get(_base(language), ()):
            if word in words and word not in found:
                found.append(word)
    return found


def says_not_arrived(text: str, languages: tuple[str, ...] = ()) -> bool:
    """The customer says the order did not arrive (English and ``languages``)."""
    low = " ".join((text or "").casefold().replace("’", "'").split())
    return any(p in low for lang in ("en", *languages) for p in NOT_ARRIVED.get(_base(lang), ()))


def sounds_angry(text: str) -> bool:
    """An angry tone: an angry word, several exclamation marks, or shouting (most letters capitals
    over a sentence's worth of text)."""
    raw = text or ""
    words = {w.casefold() for w in _WORD.findall(raw)}
    if words & set(ANGRY_WORDS) or "!!" in raw.replace(" ", "") or "?!" in raw:
        return True
    letters = [ch for ch in raw if ch.isalpha()]
    return len(letters) >= 20 and sum(ch.isupper() for ch in letters) / len(letters) > 0.7


_AUTO_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([+@]|$)", re.I)


def is_auto_reply(headers: Mapping[str, str], sender: str = "") -> bool:
    """An automatic message (out-of-office, bounce, list): RFC 3834 ``Auto-Submitted`` other than
    "no", ``X-Autoreply``/``X-Autorespond``, ``Precedence: bulk/junk/list/auto_reply``,
    ``X-Auto-Response-Suppress``: All/OOF, or a mailer-daemon / no-reply sender."""
    h = {k.lower(): (v or "").strip().lower() for k, v in headers.items()}
    if h.get("auto-submitted", "no") not in ("", "no"):
        return True
    if h.get("x-autoreply") or h.get("x-autorespond") or h.get("x-autoresponse"):
        return True
    if h.get("precedence", "") in ("bulk", "junk", "list", "auto_reply"):
        return True
    if any(v in h.get("x-auto-response-suppress", "") for v in ("all", "oof")):
        return True
    return bool(_AUTO_SENDERS.match((sender or "").strip()))


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the policy needs to know of the matched order."""

    step_code: str
    cancelled: bool = False
    #: Anything shipped (a parcel created): too late to cancel.
    shipped: bool = False
    #: A carrier scanned a parcel: too late to change the address.
    with_carrier: bool = False
    delivered_at: datetime | None = None
    #: The latest carrier scan of a parcel still in transit (``None``: none in transit).
    last_scan_in_transit: datetime | None = None


@dataclass(frozen=True, slots=True)
class Situation:
    """Everything :func:`decide` reads."""

    intent: str
    confidence: float
    threshold: float
    text: str
    now: datetime
    automation_enabled: bool = True
    auto_reply: bool = False
    languages: tuple[str, ...] = ()
    order: OrderFacts | None = None
    #: Open orders the customer may mean (ambiguous match): more than one means "ask which".
    candidates: int = 0
    #: The automation already replied in this conversation for this state (no loops).
    replied_for_state: bool = False
    #: The automation already asked for an order number in this conversation.
    asked_number: bool = False
    #: A new address was found in the message (change of address).
    new_address: bool = False
    #: The sender is the order's customer: the order came from a signed link, or the sender's
    #: e-mail or phone is the order's. An order named by number or tracking number by someone
    #: else is never answered about automatically (its status is the customer's business).
    verified: bool = True
    #: A person has the conversation (escalated or assigned): the automation stays out of it.
    with_agent: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    decision: Decision
    reply: Reply = Reply.NONE
    #: An action to record in the ledger: "cancel_order" or "change_address" ("": none).
    action: str = ""
    reasons: tuple[str, ...] = field(default_factory=tuple)


def problems(situation: Situation) -> list[str]:
    """Why a person must look, whatever was asked: the order's trouble, harm words, anger."""
    s = situation
    reasons: list[str] = []
    order = s.order
    if order is not None:
        if order.step_code not in ROUTINE_STEPS and order.step_code != "cancelled":
            reasons.append(f"step:{order.step_code}")
        if order.last_scan_in_transit is not None and s.now - order.last_scan_in_transit > STALLED:
            reasons.append("stalled_72h")
        if order.step_code == "delivered":
            if says_not_arrived(s.text, s.languages):
                reasons.append("delivered_not_received")
            elif order.delivered_at is not None and s.now - order.delivered_at > RECENT_DELIVERY:
                reasons.append("delivered_long_ago")
    reasons.extend(f"keyword:{w}" for w in harm_words(s.text, s.languages))
    if s.intent == "complaint":
        reasons.append("complaint")
    if sounds_angry(s.text):
        reasons.append("angry")
    if s.intent == "contact_human_agent":
        reasons.append("asked_for_a_person")
    return reasons


def decide(situation: Situation) -> Outcome:
    """What to do about one inbound message (see the module)."""
    s = situation
    if s.auto_reply:
        return Outcome(Decision.IGNORE, reasons=("auto_reply",))
    if not s.automation_enabled:
        return Outcome(Decision.QUEUE, reasons=("automation_off",))
    if s.with_agent:
        return Outcome(Decision.QUEUE, reasons=("with_an_agent",))
    trouble = problems(s)
    if trouble:
        return Outcome(Decision.ESCALATE, reasons=tuple(trouble))
    if s.confidence < s.threshold:
        return Outcome(Decision.QUEUE, reasons=("low_confidence",))
    if s.order is not None and not s.verified:
        return Outcome(Decision.QUEUE, reasons=("sender_not_on_order",))
    handled = WISMO_INTENTS | REFUND_INTENTS | {"cancel_order", "change_shipping_address"}
    if s.intent not in handled:
        return Outcome(Decision.QUEUE, reasons=(f"intent:{s.intent}",))
    if s.order is None:
        if s.candidates > 1:
            if s.replied_for_state:
                return Outcome(Decision.QUEUE, reasons=("already_asked_which_order",))
            return Outcome(Decision.ASK_ORDER, Reply.WHICH_ORDER, reasons=("several_open_orders",))
        if s.asked_number or s.replied_for_state:
            return Outcome(Decision.QUEUE, reasons=("no_order_after_asking",))
        return Outcome(Decision.ASK_ORDER, Reply.ASK_NUMBER, reasons=("no_order_found",))
    if s.replied_for_state:
        return Outcome(Decision.QUEUE, reasons=("already_answered_this_state",))
    order = s.order
    if s.intent == "cancel_order":
        if order.cancelled:
            return Outcome(Decision.ANSWER, Reply.NEXT_STEP, reasons=("already_cancelled",))
        if order.shipped or order.delivered_at is not None:
            return Outcome(Decision.REFUSE, Reply.CANNOT_CANCEL, reasons=("already_shipped",))
        return Outcome(Decision.ACT, Reply.CANCELLED, action="cancel_order", reasons=("before_fulfilment",))
    if s.intent == "change_shipping_address":
        if order.cancelled or order.with_carrier or order.delivered_at is not None:
            return Outcome(Decision.REFUSE, Reply.CANNOT_CHANGE_ADDRESS, reasons=("with_carrier",))
        if not s.new_address:
            return Outcome(Decision.ESCALATE, reasons=("address_not_understood",))
        return Outcome(
            Decision.ACT, Reply.ADDRESS_CHANGED, action="change_address", reasons=("before_handoff",)
        )
    if s.intent in REFUND_INTENTS:
        return Outcome(Decision.ANSWER, Reply.RETURNS, reasons=("returns_portal",))
    return Outcome(Decision.ANSWER, Reply.NEXT_STEP, reasons=(f"routine:{order.step_code}",))


def state_key(order_public_id: str, step_code: str) -> str:
    """The key of "one automated reply per conversation per order state": the order and its next
    step. A second question while the order has not moved waits for a person (or for the order
    to move: a new state may be answered again)."""
    return f"{order_public_id}:{step_code}"[:120]


def _base(language: str) -> str:
    return (language or "").lower().replace("_", "-").split("-")[0]


_STOPWORDS: Mapping[str, frozenset[str]] = {
    "en": frozenset(
        ["the", "my", "is", "where", "order", "and", "to", "of", "it", "you", "have", "not", "was", "i"]
    ),
    "de": frozenset(
        [
            "ich",
            "ist",
            "wo",
            "meine",
            "bestellung",
            "nicht",
            "und",
            "der",
            "die",
            "das",
            "mein",
            "sie",
            "haben",
        ]
    ),
    "es": frozenset(
        ["mi", "el", "la", "donde", "dónde", "pedido", "no", "y", "de", "es", "que", "está", "por"]
    ),
    "fr": frozenset(
        ["je", "ma", "mon", "est", "où", "commande", "pas", "et", "le", "la", "de", "les", "colis"]
    ),
    "pt": frozenset(
        ["meu", "minha", "o", "a", "onde", "pedido", "não", "e", "de", "é", "que", "está", "encomenda"]
    ),
}


def detect_language(text: str, allowed: tuple[str, ...] = ("en", "de", "es", "fr", "pt")) -> str:
    """The most likely of ``allowed`` languages by common words ("" when nothing tells)."""
    words = [w.casefold() for w in _WORD.findall(text or "")]
    best, score = "", 0
    for language in allowed:
        stop = _STOPWORDS.get(_base(language), frozenset())
        hits = sum(1 for w in words if w in stop)
        if hits > score:
            best, score = language, hits
    return best


_ADDRESS_INTRO = re.compile(
    r"(?:new (?:shipping |delivery )?address|ship (?:it )?to|deliver (?:it )?to|neue (?:Liefer)?adresse"
    r"|nueva dirección|enviar a|nouvelle adresse|livrer à|novo endereço|entregar (?:em|no|na))\s*[:\-]?\s*",
    re.IGNORECASE,
)


def new_address_in(text: str) -> str:
    """The new delivery address the customer gives ("new address: 12 Rue X, 75001 Paris"), as
    one line, or "" when the message does not give one (then a person reads it)."""
    match = _ADDRESS_INTRO.search(text or "")
    if match is None:
        return ""
    rest = (text or "")[match.end() :]
    lines: list[str] = []
    for line in rest.split("\n"):
        if not line.strip():
            if lines:
                break
            continue
        lines.append(line.strip().rstrip(".,"))
        if len(lines) >= 4:
            break
    address = ", ".join(lines)[:300]
    # An address has a number in it (house, postal code) and some words.
    return address if any(ch.isdigit() for ch in address) and len(address) >= 8 else ""
