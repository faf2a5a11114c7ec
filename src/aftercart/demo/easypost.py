"""A local EasyPost stand-in: a real HTTP server on 127.0.0.1 that answers the calls a prepaid
return label takes (``POST /v2/shipments``, ``GET /v2/shipments/{id}``,
``POST /v2/shipments/{id}/buy`` and, for the carrier's QR code, ``POST /v2/shipments/{id}/forms``)
in EasyPost's documented shapes, so the demo buys labels without
an account or the network, and the tests exercise the real client over a real socket.

It checks what EasyPost would: HTTP Basic auth with an API key as username (401 otherwise), a JSON
``shipment`` with both addresses, a parcel with a weight, and ``is_return`` (422 otherwise); a buy
names one of the shipment's rates, and a shipment is bought once (a second buy is refused, as
EasyPost refuses it). Every request is kept (:attr:`EasyPostStandIn.requests`). Tests may script
the next answers (:meth:`EasyPostStandIn.script`): an error status and body, or a delay longer
than the client's timeout.

A bought USPS shipment gets the carrier's QR code when asked for it (a ``label_qr_code`` form: USPS
Label Broker; ``{"form": {"type": "label_qr_code"}}``, answered with the Shipment and its
``forms``); asked before the buy, or for another carrier, it refuses with a 422 (as EasyPost does;
the error codes are the stand-in's own).
Labels and QR codes point back at this server
(``/labels/<shipment>.pdf``, ``/forms/<shipment>.png``), which serves a real PDF and PNG.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aftercart.integrations.labels.qr import dropoff_qr_png

#: What the stand-in quotes for every return: (carrier, service, amount, days).
RATES = (
    ("USPS", "GroundAdvantage", "7.58", 4),
    ("USPS", "Priority", "9.45", 2),
    ("UPS", "Ground", "11.20", 3),
    ("FedEx", "FEDEX_2_DAY", "18.90", 2),
)
DEMO_API_KEY = "EZTK_demo_standin_key"

_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
    b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 288 432]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class Recorded:
    """One request as received."""

    method: str
    path: str
    authorization: str
    body: Any


@dataclass
class _Scripted:
    status: int = 0
    body: Any = None
    delay: float = 0.0


@dataclass
class EasyPostStandIn:
    """The server's state: shipments, requests seen, answers scripted."""

    api_keys: frozenset[str] = frozenset({DEMO_API_KEY})
    base_url: str = ""
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    buys: dict[str, int] = field(default_factory=dict)
    #: QR code forms made, per shipment.
    forms: dict[str, int] = field(default_factory=dict)
    _script: dict[str, list[_Scripted]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, call: str, *, status: int = 0, body: Any = None, delay: float = 0.0) -> None:
        """The next ``call`` (``create``, ``retrieve``, ``buy`` or ``form``) answers ``status`` with ``body``
        (0: answered as usual), after ``delay`` seconds; the call is still made when only delayed
        (a buy that is slow still buys, as a real one whose answer was lost)."""
        with self.lock:
            self._script.setdefault(call, []).append(_Scripted(status, body, delay))

    def _next(self, call: str) -> _Scripted | None:
        with self.lock:
            queued = self._script.get(call) or []
            return queued.pop(0) if queued else None

    # -- EasyPost's objects -------------------------------------------------------------------------

    def create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        shipment = body.get("shipment") if isinstance(body, dict) else None
        if not isinstance(shipment, dict):
            return 422, _error(
                "PARAMETER.REQUIRED", "Missing required parameter.", [("shipment", "is required")]
            )
        problems = [
            (name, "is required")
            for name in ("to_address", "from_address", "parcel")
            if not isinstance(shipment.get(name), dict)
        ]
        if problems:
            return 422, _error("PARAMETER.REQUIRED", "Missing required parameter.", problems)
        if shipment.get("is_return") is not True:
            return 422, _error(
                "SHIPMENT.INVALID_PARAMS",
                "A return shipment needs is_return.",
                [("is_return", "must be true")],
            )
        for name in ("to_address", "from_address"):
            address = shipment[name]
            missing = next((f for f in ("street1", "zip", "country") if not address.get(f)), None)
            if missing:
                # A carrier rates and delivers to a street, not to a postal code.
                return 422, _error(
                    "ADDRESS.VERIFY.FAILURE",
                    "Unable to verify address.",
                    [(f"{name}.{missing}", "is required")],
                )
        if not shipment["parcel"].get("weight"):
            return 422, _error(
                "PARCEL.WEIGHT.REQUIRED", "Parcel weight is required.", [("parcel.weight", "is required")]
            )
        sid = "shp_" + secrets.token_hex(16)
        rates = [
            {
                "object": "Rate",
                "id": "rate_" + secrets.token_hex(16),
                "mode": "test",
                "shipment_id": sid,
                "carrier": carrier,
                "service": service,
                "rate": amount,
                "currency": "USD",
                "retail_rate": amount,
                "list_rate": amount,
                "delivery_days": days,
                "carrier_account_id": f"ca_{carrier.lower()}",
            }
            for carrier, service, amount, days in RATES
        ]
        obj = {
            "object": "Shipment",
            "id": sid,
            "mode": "test",
            "is_return": True,
            "reference": shipment.get("reference"),
            "to_address": {"object": "Address", **shipment["to_address"]},
            "from_address": {"object": "Address", **shipment["from_address"]},
            "parcel": {"object": "Parcel", **shipment["parcel"]},
            "options": shipment.get("options") or {},
            "rates": rates,
            "selected_rate": None,
            "postage_label": None,
            "tracking_code": None,
            "forms": [],
            "messages": [],
            "status": "unknown",
        }
        with self.lock:
            self.shipments[sid] = obj
        return 201, obj

    def retrieve(self, sid: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            found = self.shipments.get(sid)
        if found is None:
            return 404, _error("NOT_FOUND", "The requested resource could not be found.", [])
        return 200, found

    def buy(self, sid: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            shipment = self.shipments.get(sid)
            if shipment is None:
                return 404, _error("NOT_FOUND", "The requested resource could not be found.", [])
            if shipment["postage_label"] is not None:
                return 422, _error("SHIPMENT.POSTAGE.EXISTS", "Postage already exists for this shipment.", [])
            rate_id = ((body or {}).get("rate") or {}).get("id") if isinstance(body, dict) else None
            rate = next((r for r in shipment["rates"] if r["id"] == rate_id), None)
            if rate is None:
                return 422, _error(
                    "SHIPMENT.RATE.INVALID", "Rate is not valid for this shipment.", [("rate.id", "unknown")]
                )
            self.buys[sid] = self.buys.get(sid, 0) + 1
            tracking = (
                ("9434" + "".join(str(int(c, 16) % 10) for c in sid[4:22]))
                if rate["carrier"] == "USPS"
                else ("1Z" + sid[4:20].upper())
            )
            shipment["selected_rate"] = rate
            shipment["tracking_code"] = tracking
            shipment["status"] = "unknown"
            shipment["postage_label"] = {
                "object": "PostageLabel",
                "id": "pl_" + sid[4:],
                "label_file_type": "application/pdf",
                "label_size": "4x6",
                "label_url": f"{self.base_url}/labels/{sid}.pdf",
                "label_pdf_url": f"{self.base_url}/labels/{sid}.pdf",
            }
            return 200, shipment

    def form(self, sid: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        form = (body or {}).get("form") if isinstance(body, dict) else None
        kind = form.get("type") if isinstance(form, dict) else None
        with self.lock:
            shipment = self.shipments.get(sid)
            if shipment is None:
                return 404, _error("NOT_FOUND", "The requested resource could not be found.", [])
            if kind != "label_qr_code":
                return 422, _error(
                    "FORM.TYPE.INVALID", "Form type is not supported.", [("form.type", "invalid")]
                )
            if shipment["postage_label"] is None:
                return 422, _error(
                    "SHIPMENT.POSTAGE.REQUIRED", "The shipment must be purchased before creating a form.", []
                )
            if shipment["selected_rate"]["carrier"] != "USPS":
                return 422, _error(
                    "FORM.CARRIER.INVALID", "label_qr_code forms are only available for USPS.", []
                )
            self.forms[sid] = self.forms.get(sid, 0) + 1
            shipment["forms"] = [
                *shipment["forms"],
                {
                    "object": "Form",
                    "id": "form_" + secrets.token_hex(16),
                    "mode": "test",
                    "form_type": "label_qr_code",
                    "form_url": f"{self.base_url}/forms/{sid}.png",
                    "submitted_electronically": None,
                },
            ]
            return 201, shipment


def _error(code: str, message: str, errors: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "error": {"code": code, "message": message, "errors": [{"field": f, "message": m} for f, m in errors]}
    }


def _handler(state: EasyPostStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet: the demo prints its own
            return

        def _answer(self, status: int, body: Any, content_type: str = "application/json") -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                self.wfile.write(data)

        def _authorised(self) -> bool:
            header = self.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return False
            try:
                user, _, _password = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return False
            return user in state.api_keys

        def _handle(self, method: str) -> None:
            path = self.path.split("?", 1)[0]
            if method == "GET" and path.startswith("/labels/") and path.endswith(".pdf"):
                return self._answer(200, _PDF, "application/pdf")
            if method == "GET" and path.startswith("/forms/") and path.endswith(".png"):
                return self._answer(200, dropoff_qr_png(path[7:-4]), "image/png")
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            state.requests.append(Recorded(method, path, self.headers.get("Authorization", ""), body))
            if not self._authorised():
                return self._answer(401, _error("APIKEY.INACTIVE", "This api key is no longer active.", []))
            parts = path.strip("/").split("/")
            if parts[:2] != ["v2", "shipments"]:
                return self._answer(
                    404, _error("NOT_FOUND", "The requested resource could not be found.", [])
                )
            if method == "POST" and len(parts) == 2:
                call = "create"
            elif method == "GET" and len(parts) == 3:
                call = "retrieve"
            elif method == "POST" and len(parts) == 4 and parts[3] == "buy":
                call = "buy"
            elif method == "POST" and len(parts) == 4 and parts[3] == "forms":
                call = "form"
            else:
                return self._answer(
                    404, _error("NOT_FOUND", "The requested resource could not be found.", [])
                )
            scripted = state._next(call)
            if scripted and scripted.status:
                if scripted.delay:
                    time.sleep(scripted.delay)
                return self._answer(scripted.status, scripted.body or {})
            if call == "create":
                status, answer = state.create(body if isinstance(body, dict) else {})
            elif call == "retrieve":
                status, answer = state.retrieve(parts[2])
            elif call == "buy":
                status, answer = state.buy(parts[2], body if isinstance(body, dict) else {})
            else:
                status, answer = state.form(parts[2], body if isinstance(body, dict) else {})
            if scripted and scripted.delay:
                time.sleep(scripted.delay)  # done, but answered too late for the client
            return self._answer(status, answer)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    return Handler


@contextmanager
def easypost_standin(
    *, port: int = 0, api_keys: frozenset[str] = frozenset({DEMO_API_KEY})
) -> Iterator[EasyPostStandIn]:
    """Run the stand-in on 127.0.0.1 (``port`` 0: any free port) while the block runs; its
    :attr:`~EasyPostStandIn.base_url` (``http://127.0.0.1:<port>/v2``) is what a store's
    ``easypost_base_url`` points at."""
    state = EasyPostStandIn(api_keys=api_keys)
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(state))
    server.daemon_threads = True
    bound = server.server_address[1]
    origin = f"http://127.0.0.1:{bound}"
    state.base_url = origin
    thread = threading.Thread(target=server.serve_forever, name="easypost-standin", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def api_base(state: EasyPostStandIn) -> str:
    """The API's base URL on the stand-in (what ``AFTERCART_EASYPOST_BASE_URL`` would be)."""
    return f"{state.base_url}/v2"
