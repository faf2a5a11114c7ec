"""The entry point: a carrier's raw tracking response in, canonical ``tracking.event`` facts out."""

from __future__ import annotations

from collections.abc import Callable

from aftercart.domain.carriers import carrier_slug
from aftercart.integrations.carriers import canadapost, dhl_express, fedex, ups, usps
from aftercart.integrations.carriers.common import CarrierError, ParsedTracking, failed

#: Our carrier slug → the parser for its tracking responses. ``usps_international`` shares the
#: USPS API and slug (``carrier_slug`` maps it to ``usps``).
PARSERS: dict[str, Callable[[str | bytes], ParsedTracking]] = {
    ups.SLUG: ups.parse,
    fedex.SLUG: fedex.parse,
    usps.SLUG: usps.parse,
    dhl_express.SLUG: dhl_express.parse,
    canadapost.SLUG: canadapost.parse,
}

#: The response format each parser reads, as the carrier names it: a body in another format (the
#: retired USPS Web Tools ``TrackResponse`` XML, FedEx's SOAP ``TrackReply``) is refused naming it.
FORMATS: dict[str, str] = {
    ups.SLUG: "the UPS Track API JSON response",
    fedex.SLUG: "the FedEx Track API (REST) JSON response",
    usps.SLUG: "the USPS Tracking API v3 JSON response",
    dhl_express.SLUG: "the DHL Express XML-PI TrackingResponse",
    canadapost.SLUG: "the Canada Post tracking-detail XML response",
}


def parse_tracking_response(carrier: str, raw: str | bytes) -> ParsedTracking:
    """Facts (one per checkpoint) and errors from one raw tracking response of ``carrier``.

    ``carrier`` may be spelt any way :func:`~aftercart.domain.carriers.carrier_slug` reads
    ("UPS", "dhl_express", "usps_international"). Never raises: an unsupported carrier, a body
    that is not what the carrier sends, or a carrier error all come back as ``errors`` with no
    facts, so a poller can record them and move on.
    """
    slug = carrier_slug(carrier)
    parser = PARSERS.get(slug)
    if parser is None:
        return failed("unsupported_carrier", f"no tracking parser for carrier {carrier!r}")
    try:
        return parser(raw)
    except Exception as exc:  # carrier bodies are untrusted input: a surprise must not stop a poll
        return ParsedTracking(errors=[CarrierError("unreadable_response", f"{type(exc).__name__}: {exc}")])
