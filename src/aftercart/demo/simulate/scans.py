"""What the simulated carriers send: raw codes, our tag and subtag for each kind of scan, checkpoint
texts (English, and French for the French carriers) and tracking-number formats."""

from __future__ import annotations

import random
from collections.abc import Callable

# Carrier-style raw codes and texts. Illustrative: close to what each carrier shows, not a spec.
_EVENTS: tuple[str, ...]
_EVENTS = ("label", "accepted", "departure", "arrival", "moving", "customs", "ofd", "delivered", "attempt")
_EVENTS += ("delayed", "lost", "damaged", "rts")
RAW_CODES: dict[str, dict[str, str]] = {
    carrier: dict(zip(_EVENTS, codes.split(), strict=True))
    for carrier, codes in {
        "ups": "MP OR DP AR IT CC OT KB 48 DY X1 X2 RS",
        "fedex": "OC PU DP AR IT CC OD DL DE DY SE DE RS",
        "usps": "GX 03 L1 10 NT CC OF 01 02 DY LS DM 09",
        "dhl_express": "PU PL DF AF TR CR WC OK NH OH MS DM RT",
        "laposte": "DR1 PC1 ET1 ET2 ET3 DO1 MD2 DI1 AG1 RE1 PB1 ND1 RE2",
        "dpd": "01 02 03 04 08 07 05 13 14 18 28 27 23",
    }.items()
}

#: Our tag and subtag for each kind of scan.
EVENT_STATUS: dict[str, tuple[str, str]] = {
    "label": ("info_received", "info_received"),
    "accepted": ("in_transit", "in_transit.accepted"),
    "departure": ("in_transit", "in_transit.departure_scan"),
    "arrival": ("in_transit", "in_transit.arrival_scan"),
    "moving": ("in_transit", "in_transit"),
    "customs": ("in_transit", "in_transit.customs_cleared"),
    "ofd": ("out_for_delivery", "out_for_delivery"),
    "delivered": ("delivered", "delivered"),
    "attempt": ("attempt_fail", "attempt_fail.addressee_unavailable"),
    "delayed": ("exception", "exception.delayed"),
    "lost": ("exception", "exception.lost"),
    "damaged": ("exception", "exception.damaged"),
    "rts": ("exception", "exception.return_to_sender"),
}

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "label": "Shipping label created; the carrier has not received the parcel yet",
        "accepted": "Picked up by the carrier",
        "departure": "Departed from facility",
        "moving": "In transit to the next facility",
        "arrival": "Arrived at facility",
        "customs": "Customs clearance completed",
        "ofd": "Out for delivery",
        "delivered": "Delivered",
        "delivered.signed": "Delivered, signed for",
        "delivered.neighbour": "Delivered to a neighbour",
        "attempt": "Delivery attempted, no one available. A notice was left",
        "lost": "The parcel cannot be located; the trace is closed",
        "damaged": "The parcel was damaged in transit; contents are being evaluated",
        "rts": "Delivery attempts exhausted; returning to sender",
        "delayed.weather": "Delay: severe weather in the area",
        "delayed.volume": "Delay: volume exceeds network capacity",
        "delayed.trailer": "Delay: late trailer arrival",
    },
    "fr": {
        "label": "Votre colis est annoncé ; il n'a pas encore été remis au transporteur",
        "accepted": "Votre colis a été pris en charge",
        "departure": "Votre colis a quitté le site",
        "moving": "Votre colis est en cours d'acheminement",
        "arrival": "Votre colis est arrivé sur le site",
        "customs": "Dédouanement terminé",
        "ofd": "Votre colis est en cours de livraison",
        "delivered": "Votre colis a été livré",
        "delivered.signed": "Votre colis a été livré contre signature",
        "delivered.neighbour": "Votre colis a été livré chez un voisin",
        "attempt": "Destinataire absent ; un avis de passage a été déposé",
        "lost": "Votre colis n'a pas pu être localisé",
        "damaged": "Votre colis a été endommagé pendant son acheminement",
        "rts": "Votre colis est en retour vers l'expéditeur",
        "delayed.weather": "Retard : conditions météorologiques",
        "delayed.volume": "Retard : afflux exceptionnel de colis",
        "delayed.trailer": "Retard : arrivée tardive du camion",
    },
}

TRACKING_FORMATS: dict[str, Callable[[random.Random], str]] = {
    "ups": lambda r: "1Z" + "".join(r.choices("0123456789ABCDEFGHJKLMNPRSTVWXY", k=6)) + "03" + _digits(r, 8),
    "fedex": lambda r: _digits(r, 12),
    "usps": lambda r: "9400" + _digits(r, 18),
    "dhl_express": lambda r: _digits(r, 10),
    "laposte": lambda r: "6A" + _digits(r, 11),
    "dpd": lambda r: _digits(r, 14),
}


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choices("0123456789", k=n))
