"""Journey replay (the journey preview): replay stored history through the live notification policy, send nothing.

``aftercart journeys simulate`` answers "what would this journey have told our customers, what would
it have held back, and who was left waiting without news?" over the ledger's facts. The decisions are
the production ones, not a copy: each order's facts are folded in time order with
:func:`~aftercart.domain.projection.fold.project`, compared with :func:`~aftercart.domain.milestones.reached`
as the ledger does, and planned with :func:`~aftercart.domain.messaging.plan_messages`; the worker's
checks at send time (:func:`~aftercart.domain.messaging.send_time_verdict`: the latest state, the
customer's consent and the frequency cap again; then one message per order and channel carrying the
latest state) are replayed when each message falls due.
Time-driven milestones (a pickup deadline coming up) come from the sweep's own rule,
:func:`~aftercart.domain.exceptions.detect`.

Each fact is taken to have arrived when it happened (``now`` = its ``occurred_at``), which is what
the journey would have done had it been live; that is why the "historical" rule never fires here.
Facts of one order with the same ``occurred_at`` arrive together, as one batch would. At one instant,
facts come first, then time-driven checks, then deliveries (the worker sees what was just recorded).

One customer's orders are replayed together, merged in time order (:func:`replay_customer`), so the
frequency cap sees that customer's other orders exactly as the live planner would. Deliveries never
fail here: retries and provider errors are not simulated.

:class:`JourneyReport` aggregates the replayed orders in flat memory (counters, a day histogram and
the top examples only) and derives the recommendations.

Modules: :mod:`~aftercart.domain.journey_replay.journey` (inputs and per-order results),
:mod:`~aftercart.domain.journey_replay.replay` (the replay engine),
:mod:`~aftercart.domain.journey_replay.report` (the aggregation) and
:mod:`~aftercart.domain.journey_replay.recommendations` (the advice derived from it).
"""
