"""The fact ledger and the projections derived from it.

``Fact`` rows are the truth and are only ever appended. ``Order``, ``OrderLine`` and ``Shipment``
are caches of :func:`aftercart.domain.projection.fold.project` over an order's facts, kept for queries
(lists, sweeps, routing carrier events); pages and the API project an order fresh from its facts.
``aftercart rebuild`` recomputes the caches from the facts.
"""

from __future__ import annotations

from django.db import models

from aftercart.kernel.ids import new_public_id
from aftercart.stores.models import Store


class Order(models.Model):
    """An order's cached projection, plus its public (opaque) id."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="orders")
    external_id = models.CharField(max_length=128, help_text="The store's own order id.")
    public_id = models.CharField(max_length=26, unique=True, default=new_public_id, editable=False)
    #: Raising it revokes every tracking link issued before (links carry the version they had).
    token_version = models.PositiveIntegerField(default=0)
    number = models.CharField(max_length=64, blank=True)
    email = models.CharField(max_length=254, blank=True)
    postal_code = models.CharField(max_length=32, blank=True)
    placed_at = models.DateTimeField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    total = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    stage = models.CharField(max_length=20, default="confirmation")
    next_step = models.CharField(max_length=32, blank=True)
    #: Milestones the order has reached (the planner compares old and new sets).
    milestones = models.JSONField(default=list, blank=True)
    #: The projection as of ``fact_count`` facts (without checkpoint lists), so that facts arriving
    #: in order are folded onto it instead of re-reading the order's whole history.
    snapshot = models.JSONField(default=dict, blank=True)
    fact_count = models.PositiveIntegerField(default=0)
    last_event_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "external_id"], name="order_unique_external_id"),
        ]
        indexes = [
            models.Index(fields=["store", "number"], name="order_store_number"),
            # /track without a store looks orders up by number alone.
            models.Index(fields=["number"], name="order_number"),
            models.Index(fields=["store", "stage"], name="order_store_stage"),
            models.Index(fields=["store", "placed_at"], name="order_store_placed"),
        ]

    def __str__(self) -> str:
        return self.number or self.external_id


class OrderLine(models.Model):
    """One line of an order, as projected."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_id = models.CharField(max_length=128)
    sku = models.CharField(max_length=128, blank=True)
    title = models.CharField(max_length=300, blank=True)
    variant = models.CharField(max_length=200, blank=True)
    product_id = models.CharField(max_length=128, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=20, default="placed")
    shipped_quantity = models.PositiveIntegerField(default=0)
    unavailable_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "line_id"], name="line_unique_per_order")]
        # The returns portal lists the variants a store has sold of a product (exchanges with no
        # stock feed): without it, each exchange offer would read every line of every order.
        indexes = [models.Index(fields=["product_id", "variant"], name="line_product_variant")]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.line_id}"


class Shipment(models.Model):
    """One parcel of an order, as projected; indexed for routing carrier events and sweeps."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="shipments")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    key = models.CharField(max_length=160)
    carrier = models.CharField(max_length=64, blank=True)
    tracking_number = models.CharField(max_length=64, blank=True)
    tag = models.CharField(max_length=24, default="pending")
    subtag = models.CharField(max_length=48, default="pending")
    status_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    estimated_delivery = models.DateField(null=True, blank=True)
    first_estimated_delivery = models.DateField(null=True, blank=True)
    last_checkpoint_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "key"], name="shipment_unique_key")]
        indexes = [
            models.Index(fields=["store", "tracking_number"], name="shipment_tracking"),
            models.Index(fields=["tag", "last_checkpoint_at"], name="shipment_tag_last_scan"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}".strip() or self.key


class Fact(models.Model):
    """One inbound fact, appended once per (store, idempotency key) and never changed.

    ``order`` is null for a carrier event whose parcel we do not know yet: it is kept (nothing is
    lost) and attached when the shipment with that tracking number is reported.
    """

    # No index of its own: the unique (store, idempotency_key) index starts with it, and every
    # index is one more write for each fact appended.
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="facts", db_index=False)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, null=True, blank=True, related_name="facts")
    kind = models.CharField(max_length=32)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    source = models.CharField(max_length=48)
    idempotency_key = models.CharField(max_length=200)
    order_ref = models.CharField(max_length=128, blank=True)
    tracking_number = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "idempotency_key"], name="fact_unique_key"),
        ]
        # An order's facts are found by the foreign key's own index (order_id, then rowid/id on
        # SQLite, which is what "facts after this id" seeks); a second (order, occurred_at) index
        # cost every append an index write and served no query (an order has tens of facts,
        # sorted in memory).
        indexes = [
            models.Index(
                fields=["store", "tracking_number"],
                name="fact_orphan_tracking",
                condition=models.Q(order__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class PendingProjection(models.Model):
    """An order whose cached projection is behind its facts: :func:`facts_append` stored new facts
    for it and no drain has projected them yet (see docs/ingest.md, "Append, then project").

    Written in the append's transaction, so a crash after the append loses nothing: the row survives
    and the next drain projects the order. Deleted in the transaction that projects it.
    """

    order = models.OneToOneField(Order, on_delete=models.CASCADE, primary_key=True, related_name="+")
    #: Facts of the order with a larger id are not in its projection yet. Appends to one order take
    #: turns (its row is locked), so every fact stored before this watermark was read is projected
    #: or has a marker of its own, and every fact stored after it has a larger id.
    after_fact_id = models.BigIntegerField()
    #: Older facts were attached to the order (waiting carrier events adopted by a new shipment):
    #: the drain folds the order from its whole history instead of from the watermark.
    refold = models.BooleanField(default=False)
    marked_at = models.DateTimeField()

    # No index on marked_at: every append marks up to a batch's worth of orders and every drain
    # deletes thousands of marks, while the drain's "oldest first" sorts what is pending (a few
    # seconds of feed) in one pass.

    def __str__(self) -> str:
        return f"order {self.order_id} after fact {self.after_fact_id}"


class InboundDelivery(models.Model):
    """One webhook delivery received, by the sender's delivery id (e.g. ``X-Shopify-Webhook-Id``).

    Senders retry; this row lets a retry be answered 200 without parsing it again, and shows an
    operator what arrived and what became of it.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="inbound_deliveries")
    source = models.CharField(max_length=32)
    delivery_id = models.CharField(max_length=200)
    topic = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    facts_received = models.PositiveIntegerField(default=0)
    facts_accepted = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "source", "delivery_id"], name="inbound_delivery_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.delivery_id}"


class DeliveryPromise(models.Model):
    """The delivery window the order was promised at confirmation, kept as it was made.

    Not a cache of the facts: the window came from the store's history as it stood then, which no
    rebuild can reproduce, so it is written once (the worker makes it within minutes of the order,
    predicting as of ``placed_at``) and never updated. Comparing ``latest`` with the delivery says
    how often the promise was kept.
    """

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="promise")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="promises")
    earliest = models.DateField()
    latest = models.DateField()
    share = models.FloatField(help_text="Share of similar deliveries calibrated to arrive by latest.")
    explanation = models.CharField(max_length=500, blank=True)
    promised_at = models.DateTimeField(help_text="The moment the promise is as of: the order's placed_at.")
    made_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["store", "promised_at"], name="promise_store_promised")]

    def __str__(self) -> str:
        return f"{self.earliest}–{self.latest}"


class DeliveryModel(models.Model):
    """A store's fitted delivery model, shared by every process.

    A fit reads the store's recent deliveries and takes seconds, so no page view should pay for
    one: the worker refits each store every hour and stores the result here, and web processes
    load it (a few milliseconds). ``model`` is the pickled, compressed
    :class:`~aftercart.domain.eta.model.EtaModel`, ``NULL`` while the history is too thin to promise
    anything; it is written only by our own worker, so unpickling it trusts nothing a client sent.
    """

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="delivery_model")
    fitted_at = models.DateTimeField()
    deliveries = models.PositiveIntegerField(help_text="Deliveries the fit read.")
    model = models.BinaryField(null=True)

    def __str__(self) -> str:
        return f"{self.store_id} fitted {self.fitted_at:%Y-%m-%d %H:%M} on {self.deliveries} deliveries"
