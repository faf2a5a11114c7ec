"""Writes for claims and warranties, one transaction each. Every step appends a ``ClaimFact`` and,
in the same transaction, the outbox rows of the milestones it reaches (:mod:`aftercart.claims.notify`);
a refused request or move raises before anything is written.

One module per use case (import from them; this package exports nothing itself):

- :mod:`~aftercart.claims.services.policy`: :func:`claim_policy_save`;
- :mod:`~aftercart.claims.services.filing`: :func:`claim_file`, ``ClaimLineIn``, ``ClaimPhotoIn``,
  ``FileResult``, ``ClaimRefused``;
- :mod:`~aftercart.claims.services.decide`: :func:`claim_approve`, :func:`claim_deny`,
  :func:`claim_evidence_request`, :func:`claim_evidence_add`, :func:`claim_decide`;
- :mod:`~aftercart.claims.services.resolve`: :func:`claim_resolve` (reship = a replacement
  shipment in the order's ledger; refund; store credit; repair; replace);
- :mod:`~aftercart.claims.services.carrier`: :func:`carrier_claim_update`;
- :mod:`~aftercart.claims.services.warranty`: :func:`warranty_period_set`,
  :func:`warranty_period_delete`, :func:`warranty_register`;
- :mod:`~aftercart.claims.services.sla`: :func:`claims_overdue_flag` (the worker's pass);
- :mod:`~aftercart.claims.services.seed`: :func:`claim_seed` (a claim in a given state, for demos);
- :mod:`~aftercart.claims.services.steps`: recording a step (the fact and its outbox rows).
"""
