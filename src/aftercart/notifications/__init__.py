"""Customer notifications: the outbox the planner writes and the worker delivers.

``receivers`` turns newly reached milestones into outbox rows inside the ledger's transaction (the
policy itself is :mod:`aftercart.domain.messaging`); ``services.message_deliver_due`` claims due
rows, renders the order's latest next step and sends it through a channel transport, outside any
transaction, recording every attempt.
"""
