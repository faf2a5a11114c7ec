"""EasyPost return labels over HTTP: create a return shipment (``is_return``), read its rates, buy
one, ask for the carrier's drop-off QR code (a ``label_qr_code`` form), and read what was bought
(tracking code, label, cost, that QR code).

HTTP only (``urllib``), with an explicit timeout, and typed errors: :class:`EasyPostError` says
whether trying again can help (:attr:`~EasyPostError.retryable`: a timeout, a connection failure,
429 or 5xx) or not (any other 4xx: an invalid address, a bad key, an unpaid account). The API key
is sent as HTTP Basic username, as EasyPost documents, and never appears in an error, a ``repr``
or a log line.

Buying is two calls — ``POST /shipments`` then ``POST /shipments/{id}/buy`` — and EasyPost has no
idempotency key: the caller keeps the shipment id before buying and, on a retry, reads the shipment
(:meth:`EasyPostClient.shipment`) before buying again (see :func:`label_of`: a shipment with a
postage label is bought already). The carrier's QR code is a third call, made only once the
shipment is bought (``POST /shipments/{id}/forms``, see :func:`qr_form_type`); it too is asked for
only when the shipment read back has none (:func:`label_of` finds it in ``forms``).
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from aftercart.domain.outbound_urls import safe_url
from aftercart.domain.returns.rates import Rate

__all__ = [
    "DEFAULT_BASE_URL",
    "QR_FORM_TYPES",
    "BoughtLabel",
    "EasyPostClient",
    "EasyPostError",
    "label_of",
    "qr_code_of",
    "qr_form_type",
    "rates_of",
    "return_shipment_body",
]

DEFAULT_BASE_URL = "https://api.easypost.com/v2"
#: Seconds to wait for EasyPost's answer. A buy usually takes 1–3 s (the carrier is called); past
#: this the attempt is retried later, and the retry reads the shipment before buying again.
TIMEOUT = 20.0
#: Forms holding a code the carrier's counter scans instead of a printed label: USPS Label Broker
#: (``label_qr_code``) and FedEx's (``rma_qr_code``).
QR_FORM_TYPES = ("label_qr_code", "rma_qr_code")
#: The QR form each carrier makes on request, after the buy (EasyPost's form guide): USPS's Label
#: Broker code needs nothing but the bought shipment. FedEx's ``rma_qr_code`` needs an account
#: provisioned by EasyPost and the label's image in the request, so it is not asked for: a FedEx
#: drop-off return shows the label PDF and Aftercart's own code.
_QR_FORM_OF_CARRIER = {"USPS": "label_qr_code"}


def qr_form_type(carrier: str) -> str | None:
    """The form to ask for so that ``carrier``'s counter can scan a code instead of a printed
    label, or ``None`` when it makes none on request."""
    return _QR_FORM_OF_CARRIER.get(carrier.strip().upper())


class EasyPostError(Exception):
    """EasyPost refused or could not be reached. ``status`` 0 is no HTTP answer (timeout,
    connection refused); ``code``, ``message`` and ``errors`` are EasyPost's ``error`` object."""

    def __init__(self, status: int, code: str, message: str, errors: tuple[dict[str, str], ...] = ()) -> None:
        super().__init__(status, code, message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    @property
    def retryable(self) -> bool:
        """A timeout, a connection failure, rate limiting or a server error may pass; another 4xx
        (an invalid address, a wrong key, a bought shipment) would be refused again."""
        return self.status == 0 or self.status == 429 or self.status >= 500

    def __str__(self) -> str:
        detail = "; ".join(
            f"{e.get('field', '')}: {e.get('message', '')}".strip(": ")
            for e in self.errors
            if isinstance(e, dict)
        )
        head = f"{self.status} {self.code}: {self.message}" if self.status else f"{self.code}: {self.message}"
        return f"{head} ({detail})" if detail else head


@dataclass(frozen=True)
class BoughtLabel:
    """What a bought shipment says: who carries it, its tracking code, where the label is, what it
    cost, and the carrier's own QR code when there is one."""

    shipment_id: str
    carrier: str
    service: str
    tracking_code: str
    label_url: str
    amount: Decimal | None
    currency: str
    rate_id: str = ""
    qr_code_url: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


class EasyPostClient:
    """EasyPost's shipment API for one account (``api_key``) at ``base_url``."""

    def __init__(self, api_key: str, base_url: str = DEFAULT_BASE_URL, *, timeout: float = TIMEOUT) -> None:
        self._auth = "Basic " + base64.b64encode(f"{api_key}:".encode()).decode("ascii")
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:  # the key stays out of tracebacks and debug output
        return f"EasyPostClient(base_url={self.base_url!r})"

    def create_shipment(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /shipments``: the Shipment with its ``rates``."""
        return self._call("POST", "/shipments", body)

    def shipment(self, shipment_id: str) -> dict[str, Any]:
        """``GET /shipments/{id}``: the Shipment as it is now (bought or not)."""
        return self._call("GET", f"/shipments/{_safe_id(shipment_id)}")

    def buy(self, shipment_id: str, rate_id: str) -> dict[str, Any]:
        """``POST /shipments/{id}/buy`` with the chosen rate: the bought Shipment."""
        return self._call("POST", f"/shipments/{_safe_id(shipment_id)}/buy", {"rate": {"id": rate_id}})

    def create_form(self, shipment_id: str, form_type: str) -> dict[str, Any]:
        """``POST /shipments/{id}/forms`` with ``{"form": {"type": form_type}}`` (the shipment must
        be bought): the Shipment, its ``forms`` now holding the new one."""
        return self._call("POST", f"/shipments/{_safe_id(shipment_id)}/forms", {"form": {"type": form_type}})

    def form_image(self, url: str, *, max_bytes: int = 512_000) -> bytes:
        """The image of a form (the carrier's QR code) at ``url``, a public link EasyPost gives:
        fetched without the API key (it may be another host), PNG only, at most ``max_bytes``."""
        if not safe_url(url):
            raise EasyPostError(400, "BAD_URL", "not an http(s) URL")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                data = response.read(max_bytes + 1)
        except urllib.error.HTTPError as refused:
            raise EasyPostError(
                refused.code, f"HTTP_{refused.code}", "the form could not be fetched"
            ) from None
        except (urllib.error.URLError, OSError):
            raise EasyPostError(0, "UNREACHABLE", "the form could not be fetched") from None
        if len(data) > max_bytes or not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise EasyPostError(502, "BAD_FORM", "the form is not a PNG image of a sensible size")
        return data

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", self._auth)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as refused:
            raise _error_of(refused.code, refused.read()) from None
        except TimeoutError:
            raise EasyPostError(0, "TIMEOUT", f"no answer within {self.timeout:g} s") from None
        except (urllib.error.URLError, OSError) as failed:
            reason = getattr(failed, "reason", failed)
            raise EasyPostError(0, "UNREACHABLE", str(reason)[:200]) from None
        try:
            decoded = json.loads(raw)
        except ValueError:
            raise EasyPostError(502, "BAD_RESPONSE", "the answer is not JSON") from None
        if not isinstance(decoded, dict):
            raise EasyPostError(502, "BAD_RESPONSE", "the answer is not a JSON object")
        return decoded


def _safe_id(value: str) -> str:
    if not value or not all(ch.isalnum() or ch == "_" for ch in value):
        raise EasyPostError(400, "BAD_ID", "not an EasyPost id")
    return value


def _error_of(status: int, raw: bytes) -> EasyPostError:
    """EasyPost's ``{"error": {"code", "message", "errors": [...]}}``, or what a proxy said."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return EasyPostError(status, f"HTTP_{status}", "no EasyPost error in the answer")
    errors = tuple(
        {"field": str(e.get("field", ""))[:100], "message": str(e.get("message", ""))[:300]}
        for e in error.get("errors") or []
        if isinstance(e, dict)
    )
    return EasyPostError(
        status, str(error.get("code", ""))[:100], str(error.get("message", ""))[:500], errors
    )


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def rates_of(shipment: Mapping[str, Any]) -> list[Rate]:
    """The shipment's quoted rates (rates without an id or a readable amount are left out)."""
    found = []
    for rate in shipment.get("rates") or []:
        if not isinstance(rate, dict) or not rate.get("id"):
            continue
        amount = _amount(rate.get("rate"))
        if amount is None:
            continue
        days = rate.get("delivery_days")
        found.append(
            Rate(
                id=str(rate["id"]),
                carrier=str(rate.get("carrier") or ""),
                service=str(rate.get("service") or ""),
                amount=amount,
                currency=str(rate.get("currency") or "").upper()[:3],
                delivery_days=days if isinstance(days, int) else None,
            )
        )
    return found


def label_of(shipment: Mapping[str, Any]) -> BoughtLabel | None:
    """What the shipment bought, or ``None`` when it is not bought yet (no postage label)."""
    postage = shipment.get("postage_label")
    if not isinstance(postage, dict):
        return None
    chosen = shipment.get("selected_rate")
    selected: Mapping[str, Any] = chosen if isinstance(chosen, dict) else {}
    return BoughtLabel(
        shipment_id=str(shipment.get("id") or ""),
        carrier=str(selected.get("carrier") or ""),
        service=str(selected.get("service") or ""),
        tracking_code=str(shipment.get("tracking_code") or ""),
        label_url=safe_url(postage.get("label_pdf_url")) or safe_url(postage.get("label_url")),
        amount=_amount(selected.get("rate")),
        currency=str(selected.get("currency") or "").upper()[:3],
        rate_id=str(selected.get("id") or ""),
        qr_code_url=qr_code_of(shipment),
        raw=shipment,
    )


def qr_code_of(shipment: Mapping[str, Any]) -> str:
    """The address of the carrier's drop-off QR code among the shipment's ``forms``, or ``""``."""
    for form in shipment.get("forms") or []:
        if isinstance(form, dict) and form.get("form_type") in QR_FORM_TYPES:
            url = safe_url(form.get("form_url"))
            if url:
                return url
    return ""


def return_shipment_body(
    *,
    shopper: Mapping[str, str],
    store: Mapping[str, str],
    parcel: Mapping[str, Any],
    reference: str,
) -> dict[str, Any]:
    """The ``POST /shipments`` body of a return label. With ``is_return`` EasyPost takes the
    addresses as the original shipment had them — ``to_address`` the shopper, ``from_address`` the
    store — and swaps them on the label, so the parcel goes from the shopper to the store."""
    return {
        "shipment": {
            "is_return": True,
            "to_address": {k: v for k, v in shopper.items() if v},
            "from_address": {k: v for k, v in store.items() if v},
            "parcel": {k: v for k, v in parcel.items() if v not in (None, "")},
            "reference": reference,
            "options": {"label_format": "PDF"},
        }
    }
