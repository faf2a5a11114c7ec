"""The carrier claim packet as the ops page serves it (the PDF is the claims app's)."""

from __future__ import annotations

from django.http import Http404

from aftercart.claims.models import Claim


def claim_packet_pdf(claim: Claim) -> bytes:
    """The packet's PDF bytes."""
    raise Http404("The carrier claim packet is not available yet.")
