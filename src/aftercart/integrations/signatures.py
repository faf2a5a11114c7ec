"""Signed webhooks: the one check every adapter's inbound signature goes through.

Senders sign the raw request body with HMAC-SHA256 under a shared secret and put the digest in a
header, base64- or hex-encoded; each adapter names its header and encoding as an
:class:`HmacScheme`. Comparison is in constant time, and a missing or malformed signature, or an
empty secret (an unconfigured store must accept nothing), is simply not valid.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

__all__ = ["HmacScheme"]


@dataclass(frozen=True)
class HmacScheme:
    """How one sender signs: the header that carries the HMAC-SHA256 of the raw body and how the
    digest is written there (``"base64"`` or ``"hex"``)."""

    header: str
    encoding: Literal["base64", "hex"] = "base64"

    def verify(self, secret: str, body: bytes, signature: str | None) -> bool:
        """Whether ``signature`` (the header's value) is the HMAC-SHA256 of ``body`` under
        ``secret``, compared in constant time."""
        if not secret or not signature:
            return False
        received = self._decode(signature.strip())
        if received is None:
            return False
        expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        return hmac.compare_digest(expected, received)

    def _decode(self, text: str) -> bytes | None:
        try:
            if self.encoding == "hex":
                return bytes.fromhex(text)
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None
