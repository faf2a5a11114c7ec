"""Training data beyond Bitext's wording: our own phrasing templates and seeded noise.

Bitext's utterances come from a few carrier phrases ("I need help ...", "could you help me ...") around
a few content words ("track my order"): nobody in them says "parcel", "where is", "hasn't arrived" or
"money back for the damaged one". These templates add the frames real customers use for each intent,
with slots filled from generic lexicons; :func:`noisy` then adds what a message in the wild has
(typos, greetings and signatures, order and tracking numbers, a second unrelated sentence).

Everything is seeded: the same seed gives the same rows. Train-time only (the shipped model does not
import this module).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence

ORDER_NOUNS = (
    "order", "package", "parcel", "shipment", "purchase", "delivery", "stuff", "items", "box",
    "things", "goods", "order",
)  # fmt: skip
DETERMINERS = ("my", "my", "the", "our", "this", "my recent", "my last")
ITEMS = (
    "shoes", "jacket", "charger", "mug", "t-shirt", "blender", "headphones", "book", "dress", "lamp",
    "backpack", "watch", "cable", "sofa", "jeans", "phone case", "kettle", "toy",
)  # fmt: skip
PLACES = ("france", "the us", "italy", "canada", "my city", "the uk", "brazil", "japan", "ireland", "mexico")
DAYS = ("tomorrow", "monday", "the weekend", "next week", "saturday", "the 15th", "christmas", "friday")
SPEEDS = ("express", "overnight", "next-day", "same-day", "two-day", "priority", "economy", "standard")
METHODS = (
    "store pickup", "a pickup point", "a parcel locker", "weekend delivery", "a delivery time slot",
    "signature on delivery", "collection from a shop", "a specific carrier",
)  # fmt: skip
NAMES = ("anna", "john", "m. lopez", "chris", "sara k", "tim", "aisha", "li wei", "jo", "pat")
REASONS = (
    "a damaged item", "a missing item", "the late delivery", "a faulty product", "the wrong size",
    "an item I returned", "a double charge", "something that never arrived",
)  # fmt: skip
TOPICS = ("the delivery", "your service", "the product", "my order", "the app", "your store", "the courier")

TEMPLATES: dict[str, Sequence[str]] = {
    "track_order": (
        "where is {d} {o}",
        "where is {d} {o} {num}",
        "where's {d} {o}",
        "{d} {o} has not arrived yet",
        "{d} {o} hasn't shown up",
        "{d} {o} never came",
        "what happened to {d} {o}",
        "any news about {d} {o}",
        "any update on {d} {o} {num}",
        "status of {d} {o} {num}",
        "has {d} {o} shipped",
        "has {d} {o} been sent out yet",
        "is {d} {o} on its way",
        "did you ship {d} {o} yet",
        "i haven't received {d} {o}",
        "still waiting for {d} {o}",
        "can you find {d} {o}",
        "i can't find {d} {o}",
        "tracking number {trk}",
        "{trk}",
        "where is {d} {o}, tracking {trk}",
        "is {d} {o} lost",
        "{d} {o} is late",
        "{d} {o} is stuck in transit",
        "the tracking for {d} {o} hasn't updated",
        "where is {d} {o} now",
        "where can i follow {d} {o}",
        "is {d} {o} out for delivery",
        "what's going on with {d} {o}",
        "i need to know where {d} {o} is",
        "{num}",
        "order {num}",
        "check on {d} {o} {num}",
        "whereabouts of {d} {o}",
        "{d} {o} still hasn't come",
        "locate {d} {o}",
        "has {d} {o} left your warehouse",
        "{d} {o} is missing",
        "tracking code {trk} not working",
        "what is the current location of {d} {o}",
        "{d} {o} didn't arrive",
    ),
    "delivery_period": (
        "when will {d} {o} arrive",
        "when will i get {d} {o}",
        "when can i expect {d} {o}",
        "how long will {d} {o} take",
        "how long does shipping take to {place}",
        "how many days does delivery take",
        "how many business days for delivery",
        "what is the delivery time",
        "expected delivery date for {d} {o} {num}",
        "will {d} {o} arrive by {day}",
        "will it be here by {day}",
        "how soon will {d} {o} be delivered",
        "when is {d} {o} going to be delivered",
        "eta for {d} {o}",
        "what's the estimated arrival",
        "when does {d} {o} get here",
        "how fast is shipping",
        "how long to ship to {place}",
        "how long until {d} {o} gets to me",
        "delivery time to {place}?",
        "how many days until i receive it",
        "can i have it by {day}",
        "when should {d} {o} be delivered",
        "how long is shipping",
        "what is the arrival date of {d} {o}",
        "when will {d} {o} be here",
        "how long do deliveries take",
        "will {d} {o} come before {day}",
        "how long does it take to get {d} {o}",
    ),
    "delivery_options": (
        "what shipping options do you have",
        "do you offer {speed} shipping",
        "can i choose {method}",
        "is {method} available",
        "can i get {d} {o} delivered to {method}",
        "which carriers do you ship with",
        "can i collect {d} {o} from a store",
        "how can you send {d} {o}",
        "what are your shipping methods",
        "is {speed} delivery possible",
        "do you have {speed} delivery to {place}",
        "can i pay for {speed} shipping",
        "what ways of delivery are there",
        "do you offer {method}",
        "shipping methods for {place}",
        "which delivery option is fastest",
        "can i pick {method} at checkout",
        "delivery choices for {place}",
        "can {d} {o} be delivered by {speed} shipping",
        "how can i get {d} {o} faster, which options are there",
        "is {speed} shipping an option",
        "what kinds of delivery do you offer",
    ),
    "cancel_order": (
        "cancel {d} {o} {num}",
        "i want to cancel {d} {o}",
        "please cancel {d} {o}",
        "{cancel} {d} {o}",
        "i want to {cancel} {d} {o}",
        "please {cancel} {d} {o} {num}",
        "can you {cancel} {d} {o}",
        "i no longer want {d} {o}",
        "i changed my mind, cancel {d} {o}",
        "stop {d} {o}",
        "can i still cancel {d} {o}",
        "how do i cancel {d} {o}",
        "call off {d} {o}",
        "void {d} {o}",
        "i don't need {d} {o} anymore, please cancel",
        "cancel {d} {o} before it ships",
        "i ordered by mistake, cancel it",
        "cancel the {item} i ordered",
        "cancellation of order {num}",
        "i want to cancel my order for the {item}",
        "don't ship {d} {o}, cancel it",
        "cancel everything i ordered",
        "is it possible to cancel {d} {o}",
        "{d} {o} is taking too long, cancel it",
        "{d} {o} hasn't shipped yet so please cancel it",
    ),
    "change_order": (
        "i want to change {d} {o}",
        "add a {item} to {d} {o}",
        "remove the {item} from {d} {o}",
        "swap the {item} for a {item2} in {d} {o}",
        "change the size of the {item} in {d} {o}",
        "change the colour of the {item} i ordered",
        "change the quantity in {d} {o} {num}",
        "modify {d} {o}",
        "edit {d} {o} {num}",
        "update the items in {d} {o}",
        "{change} {d} {o}",
        "i need to {change} {d} {o} {num}",
        "can i {change} what i ordered",
        "can i still change {d} {o}",
        "i ordered the wrong size, can i change it",
        "i want to add something to {d} {o}",
        "take the {item} out of {d} {o}",
        "replace the {item} in {d} {o} with a {item2}",
        "can i make changes to {d} {o}",
        "i want 2 {item} instead of 1 in {d} {o}",
        "amend {d} {o}",
        "i need to alter {d} {o}",
        "update {d} {o} {num}",
        "update {d} {o} with another {item}",
        "change the details of {d} {o}",
    ),
    "change_shipping_address": (
        "change the address on {d} {o}",
        "update my delivery address",
        "wrong address on {d} {o}",
        "send {d} {o} to my new address",
        "ship {d} {o} to a different address",
        "i moved, {d} {o} needs to go to my new address",
        "fix the address for {d} {o}",
        "correct the postcode on {d} {o}",
        "redirect {d} {o} to my office",
        "i gave the wrong address",
        "deliver {d} {o} to my parents' house instead",
        "the house number on {d} {o} is wrong",
        "can {d} {o} be shipped to another address",
        "change where {d} {o} is delivered",
        "update the shipping address of order {num}",
        "my address is wrong, please change it",
        "i need {d} {o} sent to another city",
        "ship {d} {o} somewhere else",
        "can {d} {o} go to my {place2} instead",
        "i won't be home, deliver {d} {o} to my {place2}",
        "the {addrpart} on {d} {o} is {wrongness}",
        "i made a mistake in the {addrpart} for {d} {o}",
    ),
    "get_refund": (
        "i want a refund for {d} {o}",
        "refund {d} {o} {num}",
        "i want my money back for {reason}",
        "can i get reimbursed for {reason}",
        "give me a refund",
        "i'd like to be reimbursed",
        "how do i get my money back for {d} {o}",
        "refund me for {reason}",
        "i returned the {item} and want a refund",
        "request a refund for order {num}",
        "i want to be refunded",
        "please refund the {item}",
        "money back for {reason}",
        "i'd like a reimbursement",
        "can you pay me back for {reason}",
        "i need a refund",
        "i want my money back",
        "please give me back my money",
        "{d} {o} never arrived, i want a refund",
        "{d} {o} was lost, refund me",
        "{d} {o} came broken, i want my money back",
    ),
    "track_refund": (
        "where is my refund",
        "has my refund been processed",
        "status of my refund for order {num}",
        "i haven't received my refund",
        "when will i get my refund, it was approved",
        "any update on my refund",
        "my refund is late",
        "did you refund me yet",
        "the refund isn't on my card yet",
        "still waiting for my refund",
        "where is my reimbursement",
        "my money back hasn't come through",
        "you promised a refund, where is it",
        "i sent {d} {o} back weeks ago, where is my refund",
        "the return arrived but the refund has not",
        "is my refund on the way",
        "check the status of my refund",
        "when will the refund reach my account",
        "refund for {d} {o} not received yet",
        "has the reimbursement been sent",
    ),
    "check_refund_policy": (
        "what is your refund policy",
        "can i get a refund if {cond}",
        "how long do i have to ask for a refund",
        "are {item} refundable",
        "do you refund {what}",
        "how long do refunds take",
        "what's your money back guarantee",
        "refund conditions",
        "in what cases do you give refunds",
        "what is the reimbursement policy",
        "do you give refunds on {item}",
        "is a refund possible if {cond}",
        "what are the refund rules",
        "refund policy for {place}",
        "do you offer refunds",
        "how does the refund process work",
        "do i get a full refund if {cond}",
        "when can i ask for a refund",
        "can i get money back on {what}",
        "will i get all my money back if {cond}",
    ),
    "complaint": (
        "i want to complain about {topic}",
        "i want to file a complaint",
        "i'm unhappy with {topic}",
        "{topic} was terrible",
        "how do i make a complaint",
        "i want to report a problem with {topic}",
        "this is unacceptable, i want to complain",
        "formal complaint about {topic}",
        "i'm very disappointed with {topic}",
        "who can i complain to",
        "i'd like to lodge a complaint",
        "your staff were rude",
        "worst service ever",
        "i want to escalate a complaint about {topic}",
        "complaint regarding {topic}",
        "{d} {o} is late again, this is unacceptable, i want to complain",
        "{d} {o} arrived damaged and nobody answers, i want to complain",
    ),
    "review": (
        "i want to leave a review for {topic}",
        "how do i rate {topic}",
        "i'd like to give feedback on {topic}",
        "where can i write a review",
        "i want to share my experience",
        "leave a rating",
        "post a review of the {item}",
        "i want to rate the {item}",
        "feedback about {topic}",
        "i'd like to write a review of {topic}",
        "where do i leave feedback",
        "can i give {topic} five stars",
        "i want to review {d} {o}",
        "i want to {rate} {d} {o}",
        "how do i {rate} {topic}",
    ),
    "contact_human_agent": (
        "talk to a human",
        "speak to a real person",
        "connect me with an agent",
        "i want a human not a bot",
        "transfer me to a representative",
        "can i chat with someone",
        "get me an agent",
        "is there a person i can talk to",
        "agent",
        "human",
        "i need a human agent",
        "put me through to someone",
        "let me talk to a staff member",
        "i want to speak with an operator",
        "can someone call me",
        "i'd rather talk to a person",
        "live agent please",
    ),
    "other": (
        "hello",
        "hi there",
        "thank you",
        "ok thanks",
        "do you have the {item} in stock",
        "how much is the {item}",
        "what are your opening hours",
        "is the {item} available in blue",
        "do you sell {item}",
        "what is the warranty on the {item}",
        "good morning",
        "can i get a discount code",
        "where is your shop located",
        "what sizes does the {item} come in",
        "test",
        "ok",
        "yes",
        "no",
        "i have a question",
    ),
}
CONDITIONS = (
    "i don't like it", "the item is damaged", "it arrived late", "i opened the box", "it was on sale",
    "i changed my mind", "it doesn't fit",
)  # fmt: skip
ADDRESS_PARTS = ("street", "house number", "apartment number", "postcode", "zip code", "city", "address")
CANCEL_VERBS = ("cancel", "call off", "void", "abort", "stop", "drop", "withdraw", "revoke", "scrap", "annul")
CHANGE_VERBS = ("change", "modify", "edit", "update", "alter", "amend", "adjust", "correct", "fix")
RATE_VERBS = ("rate", "review", "give feedback on", "leave stars for", "comment on", "evaluate")
PLACES_2 = ("office", "work address", "neighbour", "parents' house", "new flat", "holiday address")
WRONGNESS = ("wrong", "incorrect", "missing", "misspelled", "outdated")
WHATS = ("shipping costs", "sale items", "gift cards", "opened items", "digital products", "custom orders")

GREETINGS = ("hi", "hello", "hey", "hi there", "dear support", "good morning", "hello team")
SIGN_OFFS = ("thanks", "thank you", "regards", "cheers", "best", "kind regards", "many thanks")
ASIDES = (
    "it's a gift for my sister.", "i've ordered from you before.", "i need it for a trip next week.",
    "i'm not home during the day.", "this is my first order with you.", "i paid by card.",
    "sorry for the long message.", "i already emailed yesterday.",
)  # fmt: skip
WRAPPERS = (
    "can you ask an agent to {x}", "please ask an agent to {x}", "could someone {x}",
    "i need someone to {x}", "can you help me? {x}", "{x} please", "i need help: {x}", "quick question, {x}",
    "{x}, it's urgent", "{x} asap", "can u {x}", "i would like you to {x}",
)  # fmt: skip
_KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"


def _digits(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(rng.randint(low, high)))


def order_number(rng: random.Random) -> str:
    """A made-up order reference in one of the usual shapes."""
    shape = rng.randrange(4)
    if shape == 0:
        return "#" + _digits(rng, 4, 7)
    if shape == 1:
        return _digits(rng, 4, 8)
    if shape == 2:
        return rng.choice(("ac", "ord", "sh", "wb")) + "-" + _digits(rng, 4, 6)
    return "number " + _digits(rng, 5, 9)


def tracking_number(rng: random.Random) -> str:
    """A made-up carrier tracking number (UPS, UPU S10, long digit runs)."""
    shape = rng.randrange(3)
    if shape == 0:
        return "1z" + "".join(rng.choice("0123456789abcdefghjkmnpqrstuvwxyz") for _ in range(16))
    if shape == 1:
        return (
            rng.choice(("rr", "lx", "cp", "ee")) + _digits(rng, 9, 9) + rng.choice(("de", "us", "gb", "cn"))
        )
    return _digits(rng, 12, 22)


def fill(template: str, rng: random.Random) -> str:
    """One sentence from a template, every slot filled at random."""
    items = rng.sample(ITEMS, 2)
    slots = {
        "d": rng.choice(DETERMINERS),
        "o": rng.choice(ORDER_NOUNS),
        "num": rng.choice(("", "", order_number(rng))),
        "trk": tracking_number(rng),
        "item": items[0],
        "item2": items[1],
        "place": rng.choice(PLACES),
        "day": rng.choice(DAYS),
        "speed": rng.choice(SPEEDS),
        "method": rng.choice(METHODS),
        "reason": rng.choice(REASONS),
        "topic": rng.choice(TOPICS),
        "cond": rng.choice(CONDITIONS),
        "what": rng.choice(WHATS),
        "addrpart": rng.choice(ADDRESS_PARTS),
        "place2": rng.choice(PLACES_2),
        "cancel": rng.choice(CANCEL_VERBS),
        "change": rng.choice(CHANGE_VERBS),
        "rate": rng.choice(RATE_VERBS),
        "wrongness": rng.choice(WRONGNESS),
    }
    if template == "{num}" or template == "order {num}":
        slots["num"] = order_number(rng)
    return re.sub(r"\s+", " ", template.format(**slots)).strip()


def template_rows(rng: random.Random, per_template: int) -> Iterator[tuple[str, str]]:
    """(utterance, intent) rows: each template filled ``per_template`` times."""
    for intent, templates in TEMPLATES.items():
        for template in templates:
            for _ in range(per_template):
                yield fill(template, rng), intent


def typo(word: str, rng: random.Random) -> str:
    """One random keyboard slip in a word of four letters or more."""
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(_KEYBOARD) + word[i + 1 :]


def noisy(text: str, rng: random.Random) -> str:
    """The same request as a customer might really send it: a few independent, seeded variations."""
    out = text
    if rng.random() < 0.3:
        out = rng.choice(WRAPPERS).format(x=out.rstrip("?.! "))
    if rng.random() < 0.35:
        words = out.split()
        for _ in range(rng.randint(1, 2)):
            j = rng.randrange(len(words))
            words[j] = typo(words[j], rng)
        out = " ".join(words)
    if rng.random() < 0.2:
        out = f"{out.rstrip('?.! ')}, order {order_number(rng)}"
    if rng.random() < 0.15:
        out = f"{out} {rng.choice(ASIDES)}"
    if rng.random() < 0.25:
        out = f"{rng.choice(GREETINGS)}, {out}"
    if rng.random() < 0.25:
        sign = rng.choice(SIGN_OFFS)
        out = f"{out}. {sign}, {rng.choice(NAMES)}" if rng.random() < 0.6 else f"{out} {sign}"
    if rng.random() < 0.3:
        out = re.sub(r"[?.!,]", "", out)
    return out
