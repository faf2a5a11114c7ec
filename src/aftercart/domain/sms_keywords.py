"""What an inbound text asks for: the carrier-standard opt-out keywords (CTIA, as Twilio applies
them to long codes and toll-free numbers).

A keyword counts only as the whole message ("Stop", " STOP. "), never inside a sentence: "please
don't stop sending me updates" must not unsubscribe anyone.
"""

from __future__ import annotations

from enum import StrEnum


class SmsKeyword(StrEnum):
    """The three things a customer can ask for by text."""

    STOP = "stop"
    START = "start"
    HELP = "help"


STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"})
START_WORDS = frozenset({"START", "YES", "UNSTOP", "OPTIN"})
HELP_WORDS = frozenset({"HELP", "INFO"})


def sms_keyword(body: str, opt_out_type: str = "") -> SmsKeyword | None:
    """The keyword an inbound text is, or ``None`` for any other message.

    ``opt_out_type`` is Twilio's own reading (its ``OptOutType`` parameter, sent when the account's
    Advanced Opt-Out is on and the store may have added keywords of its own): it wins when given.
    """
    told = (opt_out_type or "").strip().lower()
    if told in SmsKeyword.__members__.values():
        return SmsKeyword(told)
    word = (body or "").strip().strip(".!¡¿?,;:\"'").strip().upper()
    if word in STOP_WORDS:
        return SmsKeyword.STOP
    if word in START_WORDS:
        return SmsKeyword.START
    if word in HELP_WORDS:
        return SmsKeyword.HELP
    return None
