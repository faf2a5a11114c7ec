"""How a customer's message is put in one canonical form before the intent model reads it.

The same function runs when the model is trained and when it classifies, so every rule here is a
change of *representation*, not a fit to data: customers say "parcel", "shipment" or "stuff" where the
training utterances say "order"; "reimbursement" where they say "refund"; they type "wheres my pakage",
sign their e-mails, paste order and tracking numbers, and wrap requests as "ask an agent to ...".

* :func:`canonical` lower-cases, strips greetings and signatures, replaces order numbers, tracking
  numbers, e-mail addresses and template placeholders by marker words (``ordernum``, ``trackingnum``),
  expands contractions and chat shorthand, and maps domain synonyms onto one word each.
* :class:`Speller` corrects a word the model has never seen to the most frequent known word one edit
  away (deletion, transposition, substitution, insertion), before the synonyms are mapped.

Pure Python, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

#: Marker words that stand for what a number in the text is (the model learns what they imply).
ORDER_MARK = "ordernum"
TRACKING_MARK = "trackingnum"

# Template placeholders such as Bitext's "{{Order Number}}" or a help desk's "[tracking number]".
_PLACEHOLDER = re.compile(r"\{\{\s*([^}]*?)\s*\}\}|\[\s*([a-z ]+?)\s*\]", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)
_PHONE = re.compile(r"(?:\+\d[\d ()-]{7,}\d)|(?:\(\d{2,5}\)\s?[\d -]{5,}\d)")
# Carrier tracking numbers: UPS 1Z..., S10 (RR123456785DE), long digit runs (possibly grouped by
# spaces: "9400 1118 9922 ..."), and long mixed letter/digit codes.
_TRACKING = re.compile(
    r"\b1z[0-9a-z]{16}\b"
    r"|\b[a-z]{2}\d{9}[a-z]{2}\b"
    r"|\b\d{4}(?:[ -]?\d{4}){2,5}(?:[ -]?\d{1,4})?\b"
    r"|\b\d{10,30}\b"
    r"|\b(?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{12,30}\b",
)
# Order references: "#10442", "no. 551-2290", "AC-20931", "3321-A", bare numbers of 3 to 9 digits.
_ORDER = re.compile(
    r"#\s?[a-z]{0,4}-?\d[\w-]*"
    r"|\b[a-z]{1,4}-\d{3,}(?:-[a-z0-9]+)?\b"
    r"|\b\d{3,9}(?:-[a-z0-9]{1,9})?\b"
    r"|\b(?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{5,11}\b",
)
_ORDINAL = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)\b")
_NUMBER_WORD = re.compile(r"\b(?:number|no\.?|nr\.?|num|n°)\s*(?=" + ORDER_MARK + r"|" + TRACKING_MARK + r")")

_GREETING = re.compile(
    r"^\s*(?:(?:hi|hello|hey|hiya|howdy|yo|greetings|good (?:morning|afternoon|evening|day)|dear)"
    r"(?:\s+(?:there|all|team|folks|guys|support|support team|customer (?:care|service|support)|"
    r"sir(?:/madam)?|sir or madam|madam|[a-z]+))?)\s*[,!.:\n-]+\s*",
)
_SIGN_OFF = re.compile(
    r"(?:^|[,.!\s])\s*(?:many thanks|thanks(?: a lot| so much| in advance)?|thank you(?: very much| in advance)?|"
    r"thx|ty|cheers|regards|kind regards|best regards|warm regards|best wishes|best|sincerely|"
    r"yours (?:sincerely|faithfully|truly)|all the best)\s*(?:[,!.\n-][^\n?]{0,60}(?:\n[^\n?]{0,60}){0,3})?\s*$",
)
_THANKS = re.compile(
    r"\b(?:many thanks|thanks(?: a lot| so much| in advance)?|thank you(?: very much)?|thx)\b"
)

# "ask an agent to cancel my order" asks for the cancellation: the wrapper is removed, unless what the
# agent should do is talk or get in touch (then the wish for a person is the request).
_AGENT = r"(?:agent|human|person|someone|somebody|representative|rep|staff(?: member)?|operator|employee)"
_NOT_A_TASK = (
    r"(?!(?:talk|speak|chat|call|contact|help|assist|reach|get|phone|ring|from|in|at|on|of|who|that|"
    r"there|here|with|for|available|please)\b)"
)
_DELEGATION = re.compile(
    r"\b(?:(?:please|pls|can you|could you|would you)\s+)?(?:ask|get|have|tell|need|want|would like|"
    r"i'd like)\s+(?:an?|the|some|one of your|your)?\s*"
    + _AGENT
    + r"\s+to\s+"
    + _NOT_A_TASK
    + r"|\b(?:can|could|would|will)\s+(?:an?|the|some|your)?\s*"
    + _AGENT
    + r"\s+(?:please\s+)?"
    + _NOT_A_TASK
    + r"(?=[a-z]+\s)"
    + r"|\b(?:please\s+)?ask\s+(?:an?|the|some|your)?\s*"
    + _AGENT
    + r"\s+(?=(?:how|when|where|if|whether|what|why|which)\b)",
)

_CONTRACTIONS = (
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bcan't\b"), "cannot"),
    (re.compile(r"\bain't\b"), "is not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'d\b"), " would"),
    (re.compile(r"\bi'm\b"), "i am"),
    (re.compile(r"\b(where|what|when|how|who|it|that|there|here)'s\b"), r"\1 is"),
    (re.compile(r"'s\b"), ""),
)

#: Chat shorthand and common run-together forms → plain words.
SHORTHAND: Mapping[str, str] = {
    "u": "you",
    "ya": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plss": "please",
    "pleas": "please",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "have to",
    "im": "i am",
    "ive": "i have",
    "cant": "cannot",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "wont": "will not",
    "isnt": "is not",
    "hasnt": "has not",
    "havent": "have not",
    "hadnt": "had not",
    "wasnt": "was not",
    "arent": "are not",
    "wheres": "where is",
    "whats": "what is",
    "hows": "how is",
    "whens": "when is",
    "abt": "about",
    "b4": "before",
    "msg": "message",
    "asap": "now",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "wk": "week",
    "wks": "weeks",
    "e.t.a": "eta",
    "pkg": "package",
    "pkgs": "packages",
    "addr": "address",
    "info": "information",
    "rn": "now",
    "idk": "i do not know",
    "thru": "through",
    "till": "until",
    "til": "until",
}

#: Domain synonyms → the one word the model knows them by (keys are single words).
SYNONYMS: Mapping[str, str] = {
    # what was bought, as a thing on its way
    "package": "order",
    "packages": "orders",
    "parcel": "order",
    "parcels": "orders",
    "shipment": "order",
    "shipments": "orders",
    "consignment": "order",
    "packet": "order",
    "purchase": "order",
    "purchases": "orders",
    "stuff": "order",
    "goods": "order",
    "merchandise": "order",
    "oder": "order",
    # money back
    "reimbursement": "refund",
    "reimbursements": "refunds",
    "reimburse": "refund",
    "reimbursed": "refunded",
    "reimbursing": "refunding",
    "repayment": "refund",
    "refunding": "refund",
    # changing something
    "modify": "change",
    "modifying": "changing",
    "modified": "changed",
    "modification": "change",
    "modifications": "changes",
    "alter": "change",
    "altering": "changing",
    "alteration": "change",
    "amend": "change",
    "amending": "changing",
    "amendment": "change",
    "adjust": "change",
    "adjusting": "changing",
    "edit": "change",
    "editing": "changing",
    "edited": "changed",
    # people
    "representative": "agent",
    "representatives": "agents",
    "rep": "agent",
    "reps": "agents",
    "employee": "agent",
    "staffer": "agent",
    "advisor": "agent",
    "adviser": "agent",
    # dispatching
    "dispatched": "shipped",
    "dispatch": "ship",
    "courier": "carrier",
    # complaints
    "grievance": "complaint",
    "complain": "complaint",
    "complaining": "complaint",
    "complaints": "complaint",
    # reviews
    "testimonial": "review",
    "rating": "review",
    "rate": "review",
    "reviews": "review",
    # postal words
    "postcode": "address",
    "zip": "address",
    "zipcode": "address",
    "adress": "address",
    "abort": "cancel",
}
_MULTIWORD = (
    (re.compile(r"\b(?:cash|money|funds) back\b"), "money back"),
    (re.compile(r"\b(?:pay|paid) (?:me )?back\b"), "refund"),
    (re.compile(r"\bcall off\b"), "cancel"),
    (re.compile(r"\bhuman being\b"), "human"),
    (re.compile(r"\b(?:real|actual|live) (?:person|human)\b"), "human agent"),
    (re.compile(r"\bcustomer (?:care|support|service) agent\b"), "agent"),
    (re.compile(r"\bstaff member\b"), "agent"),
    (re.compile(r"\bestimated time of arrival\b"), "eta"),
    (re.compile(r"\bclick and collect\b"), "store pickup"),
    (re.compile(r"\bpick ?up\b"), "pickup"),
)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[?!]")
_SPACES = re.compile(r"\s+")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _placeholder(match: re.Match[str]) -> str:
    name = (match.group(1) or match.group(2) or "").lower()
    if "track" in name:
        return f" {TRACKING_MARK} "
    if "order" in name or "invoice" in name or "number" in name:
        return f" {ORDER_MARK} "
    return " "


def surface(text: str) -> str:
    """Lower-cased text with markers for numbers, without greetings, signatures or contact details."""
    low = _strip_accents(text).lower().replace("\u2019", "'").replace("`", "'")
    low = _PLACEHOLDER.sub(_placeholder, low)
    low = _URL.sub(" ", low)
    low = _EMAIL.sub(" ", low)
    low = _PHONE.sub(" ", low)
    low = _GREETING.sub("", low, count=1)
    # The signature is the tail after the last sign-off; a message that is nothing but "thanks"
    # keeps its words.
    stripped = _SIGN_OFF.sub("", low.rstrip())
    if stripped.strip():
        low = stripped
    low = _THANKS.sub(" ", low)
    low = _TRACKING.sub(f" {TRACKING_MARK} ", low)
    low = _ORDINAL.sub(" ", low)
    low = _ORDER.sub(f" {ORDER_MARK} ", low)
    low = _NUMBER_WORD.sub("", low)
    for pattern, repl in _CONTRACTIONS:
        low = pattern.sub(repl, low)
    low = _DELEGATION.sub(" ", low)
    return low


def words(text: str) -> list[str]:
    """The words (and ``?``/``!``) of :func:`surface` text, shorthand expanded."""
    out: list[str] = []
    for word in _WORD.findall(surface(text)):
        out.extend(SHORTHAND.get(word, word).split())
    return out


def canonical(text: str, speller: Speller | None = None) -> str:
    """The canonical form the model reads: :func:`words`, spell-corrected, synonyms mapped."""
    toks = words(text)
    if speller is not None:
        toks = [speller.correct(tok) for tok in toks]
    joined = " ".join(SYNONYMS.get(tok, tok) for tok in toks)
    for pattern, repl in _MULTIWORD:
        joined = pattern.sub(repl, joined)
    return _SPACES.sub(" ", joined).strip()


_LETTERS = "abcdefghijklmnopqrstuvwxyz"

#: The words a misspelling may be corrected to: the ones that carry a support intent. Correcting to
#: any known word would turn real words the model never saw into wrong ones ("after" into "alter").
DOMAIN_WORDS: tuple[str, ...] = (
    "order", "orders", "ordered", "package", "parcel", "shipment", "purchase", "delivery", "deliver",
    "delivered", "shipping", "shipped", "track", "tracking", "status", "where", "when", "arrive", "arrived",
    "arriving", "receive", "received", "refund", "refunds", "refunded", "reimbursement", "money", "cancel",
    "cancelled", "canceled", "cancellation", "change", "changed", "modify", "address", "complaint",
    "complain", "review", "feedback", "agent", "human", "person", "someone", "somebody", "speak",
    "talk", "policy", "options", "available", "express", "return", "returned", "wrong", "missing",
    "still", "waiting", "update", "invoice", "payment", "account", "password", "please", "long",
    "item", "items", "products", "product", "hasn't", "haven't", "never", "want", "need", "help",
    "check", "know", "where's", "what's", "location", "courier", "carrier", "estimate", "estimated",
)  # fmt: skip


class Speller:
    """Corrects an unknown word to a domain word one edit away (deletion, transposition, substitution,
    insertion), after Norvig; words the model was trained on (``known``), words shorter than four
    letters and words with digits are left alone.
    """

    def __init__(self, known: Iterable[str], targets: Sequence[str] = DOMAIN_WORDS) -> None:
        self._targets = {word: rank for rank, word in enumerate(targets)}
        self._known = frozenset(known) | frozenset(targets)
        self.correct = lru_cache(maxsize=65536)(self._correct)

    def _correct(self, word: str) -> str:
        if word in self._known or len(word) < 4 or not word.isalpha():
            return word
        hits = [cand for cand in self._edits(word) if cand in self._targets]
        return min(hits, key=self._targets.__getitem__) if hits else word

    @staticmethod
    def _edits(word: str) -> set[str]:
        splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
        deletes = [a + b[1:] for a, b in splits if b]
        transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
        replaces = [a + c + b[1:] for a, b in splits if b for c in _LETTERS]
        inserts = [a + c + b for a, b in splits for c in _LETTERS]
        return set(deletes + transposes + replaces + inserts)
