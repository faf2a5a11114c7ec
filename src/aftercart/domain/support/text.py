"""What a customer wrote, as text: HTML reduced, quoted history and signature stripped, capped.

Pure functions of strings (no Django): every inbound channel goes through them, so a reply by
e-mail, a helpdesk comment and a contact form are read the same way.
"""

from __future__ import annotations

import hashlib
import html
import re
from html.parser import HTMLParser

#: Characters of a message kept; longer bodies are cut there and flagged ``truncated``.
MAX_TEXT = 20_000

_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "section"}
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "noscript"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.quote = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "blockquote" or (tag == "div" and ("class", "gmail_quote") in attrs):
            self.quote += 1
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.quote:
            # Quoted history: kept as "> " lines so strip_reply drops it like a plain-text quote.
            self.parts.append("\n".join("> " + line for line in data.splitlines() if line.strip()))
        else:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The readable text of an HTML body: scripts and styles dropped, blocks on their own lines,
    entities decoded, blockquotes kept as ``> `` quotes (for :func:`strip_reply`)."""
    parser = _Text()
    try:
        parser.feed(markup or "")
        parser.close()
    except Exception:
        return normalise(html.unescape(re.sub(r"<[^>]*>", " ", markup or "")))
    return normalise("".join(parser.parts))


def normalise(text: str) -> str:
    """Line endings unified, control characters (but newlines and tabs) removed, spaces at line
    ends trimmed, at most one empty line in a row, no leading or trailing blank."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = "".join(ch for ch in text if ch in "\n\t" or (ord(ch) >= 32 and ord(ch) != 127))
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip()


#: A line that starts the quoted history of a reply, in the languages stores write in.
_QUOTE_HEADER = re.compile(
    r"^\s*(?:"
    r"On .{0,200}wrote:?"  # Gmail, Apple Mail
    r"|Le .{0,200}a écrit\s*:?"
    r"|Am .{0,200}schrieb .{0,200}:?"
    r"|El .{0,200}escribió:?"
    r"|Em .{0,200}escreveu:?"
    r"|-{2,}\s*Original Message\s*-{2,}"
    r"|-{2,}\s*(?:Ursprüngliche Nachricht|Message d'origine|Mensaje original|Mensagem original)\s*-{2,}"
    r"|_{5,}"
    r"|From:\s.+"  # Outlook's header block
    r"|De\s?:\s.+"
    r"|Von:\s.+"
    r")\s*$",
    re.IGNORECASE,
)
#: A line that starts a signature (RFC 3676 "-- ", and the phone clients' footers).
_SIGNATURE = re.compile(
    r"^(?:--\s?|Sent from my .{1,40}|Envoyé de mon .{1,40}|Von meinem .{1,40} gesendet"
    r"|Enviado desde mi .{1,40}|Enviado do meu .{1,40}|Get Outlook for .{1,40})$",
    re.IGNORECASE,
)


def strip_reply(text: str) -> str:
    """What the sender wrote this time: the text before the quoted history ("On … wrote:",
    "-----Original Message-----", ``>`` lines) and before the signature. Never empty when ``text``
    is not: a message that is all quote keeps its first line's worth of text."""
    text = normalise(text)
    kept: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if _QUOTE_HEADER.match(stripped) or _SIGNATURE.match(line.rstrip()) or stripped == "--":
            break
        if stripped.startswith(">"):
            continue
        kept.append(line)
    result = normalise("\n".join(kept))
    if result or not text:
        return result
    # Everything looked quoted: keep the text without the quote marks rather than nothing.
    return normalise("\n".join(line.lstrip("> ") for line in text.split("\n")))


def cap(text: str, limit: int = MAX_TEXT) -> tuple[str, bool]:
    """``text`` cut to ``limit`` characters, and whether it was cut."""
    if len(text) <= limit:
        return text, False
    return text[:limit], True


def looks_binary(data: bytes) -> bool:
    """Bytes that are not text: a NUL byte, or not UTF-8."""
    if b"\x00" in data:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def content_hash_key(*parts: str) -> str:
    """A short, stable key of a message's content (the dedupe key of channels without ids)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()
    return digest[:40]
