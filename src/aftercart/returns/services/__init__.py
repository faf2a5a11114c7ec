"""Writes for returns, one transaction each: save a policy version, request a return (judged by the
store's current policy), issue its label or drop-off code, move it through its lifecycle, and keep
the store's stock for exchanges. Every step appends a ``ReturnFact`` and, in the same transaction,
the outbox rows of the milestones it reaches (:mod:`aftercart.returns.notify`); a refused request
or move raises before anything is written.

One module per use case (import from them; this package exports nothing itself):

- :mod:`~aftercart.returns.services.policy`: :func:`return_policy_save`;
- :mod:`~aftercart.returns.services.request`: :func:`return_request` (with ``method``),
  ``LineChoice``, ``RequestResult``, ``ReturnRefused``;
- :mod:`~aftercart.returns.services.labels`: :func:`return_issue_label`;
- :mod:`~aftercart.returns.services.transition`: :func:`return_transition` (inspection, resolution);
- :mod:`~aftercart.returns.services.exchange`: the replacement order of exchanged lines;
- :mod:`~aftercart.returns.services.carrier`: :func:`return_carrier_event` (the ledger's events);
- :mod:`~aftercart.returns.services.stock`: :func:`stock_set`, :func:`stock_shopify_webhook_record`;
- :mod:`~aftercart.returns.services.steps`: recording a step (the fact and its outbox rows).

Stable entry points (the portal, the API, the ledger's carrier events and the demo call these):
:func:`return_request`, :func:`return_issue_label`, :func:`return_transition`,
:func:`return_carrier_event`, :func:`stock_set`, :func:`stock_shopify_webhook_record`."""
