"""One order's journey, simulated forward from checkout: the warehouse (confirmation, allocation,
picking and packing on business days), the carrier (label, scans, delivery, attempts, delays,
losses) and, per scenario, the window of time in which that scenario is true."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aftercart.demo.simulate.scans import EVENT_STATUS, RAW_CODES, TEXTS, TRACKING_FORMATS
from aftercart.demo.simulate.shops import Brand, Service
from aftercart.domain.calendar import add_business_days, is_business_day
from aftercart.domain.carriers import carrier_info


@dataclass
class Step:
    at: datetime
    label: str
    kind: str
    data: dict[str, Any]


@dataclass
class _Parcel:
    """What happened to one parcel, for the scenario windows."""

    number: int
    created: datetime
    accepted: datetime | None = None
    ofd: datetime | None = None
    delivered: datetime | None = None
    end: datetime | None = None  # the event that decides the scenario (attempt, delay, loss...)
    after_end: datetime | None = None  # the next event after ``end``, if any


def _had(moment: datetime | None) -> datetime:
    """A moment the scenario made sure its parcel had (delivered, for "delivered"...)."""
    assert moment is not None
    return moment


class Journey:
    """Simulates one order forward from ``placed``; ``window`` is when its scenario is true."""

    def __init__(self, brand: Brand, rng: random.Random, placed: datetime, scenario: str) -> None:
        self.brand = brand
        self.rng = rng
        self.placed = placed
        self.scenario = scenario
        self.steps: list[Step] = []
        self.window: tuple[datetime, datetime | None] = (placed, None)
        self.service = self._service()
        self.city = rng.choice([c for c in brand.cities if c.country in self.service.countries])
        self.lines = self._lines()

    # helpers --------------------------------------------------------------------------------------

    def _service(self) -> Service:
        services = self.brand.services
        return self.rng.choices(services, weights=[s.weight for s in services])[0]

    def _lines(self) -> list[dict[str, Any]]:
        rng = self.rng
        if self.scenario in ("delivered_split", "partially_shipped"):
            count = rng.randint(2, 4)
        elif self.scenario == "item_unavailable":
            count = rng.randint(2, 3)
        else:
            count = rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
        products = rng.sample(self.brand.products, count)
        return [
            {
                "line_id": str(n),
                "sku": p.sku,
                "title": p.title,
                "variant": rng.choice(p.variants),
                "product_id": p.sku.rsplit("-", 1)[0].lower(),
                "quantity": rng.choices((1, 2), weights=(85, 15))[0],
                "unit_price": p.price,
                **({"category": p.category} if p.category else {}),
            }
            for n, p in enumerate(products, start=1)
        ]

    def at(self, day: date, hours: tuple[float, float], tz: str | None = None) -> datetime:
        """A random moment on ``day`` between two local hours, in UTC."""
        hour = self.rng.uniform(*hours)
        moment = time(int(hour), int(hour % 1 * 60), self.rng.randrange(60))
        return datetime.combine(day, moment, tzinfo=ZoneInfo(tz or self.brand.timezone)).astimezone(UTC)

    def local_date(self, moment: datetime, tz: str | None = None) -> date:
        """The calendar date of ``moment`` in a time zone (the shop's by default)."""
        return moment.astimezone(ZoneInfo(tz or self.brand.timezone)).date()

    def minutes(self, lo: float, hi: float) -> timedelta:
        """A random duration between ``lo`` and ``hi`` minutes."""
        return timedelta(minutes=self.rng.uniform(lo, hi))

    def add(self, at: datetime, label: str, kind: str, **data: Any) -> datetime:
        """Record a step and return its time."""
        self.steps.append(Step(at, label, kind, data))
        return at

    def line_status(self, at: datetime, line_ids: list[str], status: str, **extra: Any) -> datetime:
        """The same fulfilment status for several lines at once."""
        for line_id in line_ids:
            self.add(at, f"line:{line_id}:{status}", "line.status", line_id=line_id, status=status, **extra)
        return at

    # the warehouse ---------------------------------------------------------------------------------

    def confirm(self) -> datetime:
        """Payment captured a few minutes after checkout."""
        confirmed = self.placed + self.minutes(1, 8)
        return self.line_status(confirmed, self.line_ids, "confirmed")

    @property
    def line_ids(self) -> list[str]:
        """Every line of the order."""
        return [ln["line_id"] for ln in self.lines]

    def allocate(self, after: datetime) -> datetime:
        """Stock is reserved at once during working hours, else the next business morning."""
        local = after.astimezone(self.brand.tz)
        if is_business_day(local.date(), self.brand.country) and 8 <= local.hour < 17:
            return after + self.minutes(10, 90)
        day = add_business_days(local.date(), 1 if local.hour >= 8 else 0, self.brand.country)
        return max(self.at(day, (8.0, 9.5)), after + self.minutes(5, 10))

    def ship_day(self, allocated: datetime) -> date:
        """Processing takes 0–2 business days: same day when allocated before the 1 p.m. cut-off."""
        local = allocated.astimezone(self.brand.tz)
        same_day = is_business_day(local.date(), self.brand.country) and local.hour < 13
        if same_day and self.rng.random() < 0.6:
            return local.date()
        return add_business_days(
            local.date(), self.rng.choices((1, 2), weights=(75, 25))[0], self.brand.country
        )

    def prepare(self, line_ids: list[str], allocated: datetime, day: date) -> datetime:
        """Picking and packing on ``day``; returns when the parcel is packed."""
        picking = max(self.at(day, (9.0, 13.5)), allocated + self.minutes(15, 60))
        self.line_status(picking, line_ids, "picking")
        packed = picking + self.minutes(15, 75)
        return self.line_status(packed, line_ids, "packed")

    # the carrier -----------------------------------------------------------------------------------

    def scan(
        self, number: str, at: datetime, event: str, key: str, *, subtag: str = "", **kw: Any
    ) -> datetime:
        """One carrier checkpoint, as the carrier would send it: by tracking number, no order id."""
        carrier = self.service.carrier
        tag, default_subtag = EVENT_STATUS[event]
        subtag = subtag or default_subtag
        texts = TEXTS["fr" if self.brand.locale == "fr" and carrier in ("laposte", "dpd") else "en"]
        message = texts.get(kw.pop("text", "") or subtag) or texts[event]
        return self.add(
            at,
            key,
            "tracking.event",
            tracking_number=number,
            carrier=carrier,
            tag=tag,
            subtag=subtag,
            raw_code=RAW_CODES[carrier][event],
            raw_message=message,
            **kw,
        )

    def parcel(
        self,
        n: int,
        line_ids: list[str],
        packed: datetime,
        day: date,
        *,
        outcome: str = "delivered",
        delay: bool = False,
        attempt: str = "",
    ) -> _Parcel:
        """Label, hand-over and transit of one parcel, ending as ``outcome``.

        ``outcome``: delivered, lost, damaged. ``attempt``: "" (delivered first time), "redeliver"
        (a failed attempt, delivered the next business day), "stuck" (a failed attempt, nothing
        since), "return" (three failed attempts, then back to the sender). ``delay``: the carrier
        reports a delay and a later estimated delivery on the way.
        """
        rng, service, brand = self.rng, self.service, self.brand
        origin, dest_tz = brand.country, self.city.timezone
        number = TRACKING_FORMATS[service.carrier](rng)
        k = f"ship:{n}:scan"

        def scan(at: datetime, event: str, suffix: str = "", **kw: Any) -> datetime:
            moment = self.scan(number, at, event, f"{k}:{event}{suffix}", **kw)
            if result.end and result.after_end is None and moment > result.end:
                result.after_end = moment  # the first news after the scenario's event
            return moment

        label = packed + self.minutes(5, 25)
        transit = rng.randint(*service.transit)
        estimate = add_business_days(day, transit + rng.choice((0, 0, 1)), origin)
        self.add(
            label,
            f"ship:{n}:created",
            "shipment.created",
            parcel=n,
            carrier=service.carrier,
            service=service.name,
            tracking_number=number,
            tracking_url=carrier_info(service.carrier).url_for(number),
            lines=[{"line_id": i, "quantity": self._quantity(i)} for i in line_ids],
            estimated_delivery=estimate,
        )
        result = _Parcel(n, created=label)
        scan(label, "label")
        accepted = max(self.at(day, (16.5, 18.75)), label + self.minutes(30, 60))
        result.accepted = scan(accepted, "accepted", location=brand.warehouse)
        scan(accepted + self.minutes(90, 240), "departure", location=brand.warehouse)
        hub = rng.choice(service.hubs)
        first_day = add_business_days(day, 1, origin)
        arrived = scan(self.at(first_day, (1.0, 5.0)), "arrival", ":hub", location=hub)
        if outcome == "lost":
            # The parcel goes silent; the carrier declares it lost after a week of searching.
            lost_day = add_business_days(first_day, rng.randint(5, 7), origin)
            result.end = scan(self.at(lost_day, (10.0, 16.0)), "lost", location=hub)
            return result
        if outcome == "damaged":
            result.end = scan(arrived + self.minutes(60, 300), "damaged", location=hub)
            return result

        delivery_day = add_business_days(day, transit, origin)
        if delay:
            late = rng.randint(1, 3)
            new_estimate = add_business_days(max(estimate, delivery_day), late, origin)
            delivery_day = add_business_days(delivery_day, late, origin)
            reason = rng.choice(("delayed.weather", "delayed.volume", "delayed.trailer"))
            result.end = scan(
                arrived + self.minutes(60, 240),
                "delayed",
                text=reason,
                location=hub,
                estimated_delivery=new_estimate,
            )
        # Long hauls show a scan a day on the way, as carriers' "in transit" updates do.
        scan_day = first_day
        while add_business_days(scan_day, 1, origin) < delivery_day:
            scan_day = add_business_days(scan_day, 1, origin)
            scan(self.at(scan_day, (2.0, 6.0)), "moving", f":{scan_day.isoformat()}")
        place = f"{self.city.name}, {self.city.region}, {self.city.country}"
        if self.city.country != brand.country:
            scan(
                self.at(delivery_day, (0.5, 2.5), dest_tz),
                "customs",
                location=f"{self.city.name}, {self.city.country}",
            )
        scan(self.at(delivery_day, (3.0, 6.0), dest_tz), "arrival", ":local", location=place)
        result.ofd = scan(self.at(delivery_day, (7.0, 9.5), dest_tz), "ofd", location=place)
        attempts = {"": 0, "redeliver": 1, "stuck": 1, "return": 3}[attempt]
        for tried in range(1, attempts + 1):
            if tried > 1:
                scan(self.at(delivery_day, (7.0, 9.5), dest_tz), "ofd", f":{tried}", location=place)
            moment = scan(
                self.at(delivery_day, (10.5, 18.0), dest_tz), "attempt", f":{tried}", location=place
            )
            result.end = result.end or moment
            delivery_day = add_business_days(delivery_day, 1, origin)
        if attempt == "stuck":
            return result
        if attempt == "return":
            result.end = scan(self.at(delivery_day, (6.0, 9.0), dest_tz), "rts", location=place)
            return result
        if attempt == "redeliver":
            result.ofd = scan(self.at(delivery_day, (7.0, 9.5), dest_tz), "ofd", ":2", location=place)
        subtag = rng.choices(("delivered", "delivered.signed", "delivered.neighbour"), weights=(70, 20, 10))[
            0
        ]
        result.delivered = scan(
            self.at(delivery_day, (10.0, 19.5), dest_tz), "delivered", subtag=subtag, location=place
        )
        return result

    def _quantity(self, line_id: str) -> int:
        return next(int(ln["quantity"]) for ln in self.lines if ln["line_id"] == line_id)

    # scenarios -------------------------------------------------------------------------------------

    def run(self) -> None:
        """Simulate the whole journey of the scenario and set its window."""
        getattr(self, f"_{self.scenario}")()

    def _shipped(self, **kw: Any) -> _Parcel:
        confirmed = self.confirm()
        allocated = self.line_status(self.allocate(confirmed), self.line_ids, "allocated")
        day = self.ship_day(allocated)
        packed = self.prepare(self.line_ids, allocated, day)
        return self.parcel(1, self.line_ids, packed, day, **kw)

    def _delivered(self) -> None:
        parcel = self._shipped()
        self.window = (_had(parcel.delivered), None)

    def _delivered_after_delay(self) -> None:
        parcel = self._shipped(delay=True)
        self.window = (_had(parcel.delivered), None)

    def _delivered_after_attempt(self) -> None:
        parcel = self._shipped(attempt="redeliver")
        self.window = (_had(parcel.delivered), None)

    def _in_transit(self) -> None:
        parcel = self._shipped()
        self.window = (parcel.created, parcel.ofd)

    def _out_for_delivery(self) -> None:
        parcel = self._shipped()
        self.window = (_had(parcel.ofd), parcel.delivered)

    def _delayed(self) -> None:
        parcel = self._shipped(delay=True)
        self.window = (_had(parcel.end), parcel.after_end)

    def _attempt_failed(self) -> None:
        parcel = self._shipped(attempt=self.rng.choice(("redeliver", "redeliver", "stuck")))
        self.window = (_had(parcel.end), parcel.after_end)

    def _lost(self) -> None:
        self.window = (_had(self._shipped(outcome="lost").end), None)

    def _stalled(self) -> None:
        # The journey of a parcel that goes silent after the hub scan; ``now`` falls in the silence,
        # in the last three days before the carrier gives up on it (5 business days after the hub
        # scan, so 4 days and some hours after it at the earliest: past the default stall threshold
        # of 48 business hours whatever the weekday, and reachable from any ``now``, weekends too).
        end = self._shipped(outcome="lost").end
        assert end is not None
        self.window = (end - timedelta(days=3), end)

    def _damaged(self) -> None:
        self.window = (_had(self._shipped(outcome="damaged").end), None)

    def _returning(self) -> None:
        self.window = (_had(self._shipped(attempt="return").end), None)

    def _split(self, *, second_lag: tuple[int, int]) -> tuple[_Parcel, _Parcel]:
        """Two parcels: the second part of the order ships later (a backorder from another site)."""
        ids = self.line_ids
        cut = self.rng.randint(1, len(ids) - 1)
        first, second = ids[:cut], ids[cut:]
        allocated = self.line_status(self.allocate(self.confirm()), ids, "allocated")
        day = self.ship_day(allocated)
        a = self.parcel(1, first, self.prepare(first, allocated, day), day)
        later = add_business_days(day, self.rng.randint(*second_lag), self.brand.country)
        b = self.parcel(2, second, self.prepare(second, allocated, later), later)
        return a, b

    def _delivered_split(self) -> None:
        a, b = self._split(second_lag=(0, 2))
        self.window = (max(_had(a.delivered), _had(b.delivered)), None)

    def _partially_shipped(self) -> None:
        a, b = self._split(second_lag=(2, 4))
        self.window = (a.created, min(_had(a.ofd), b.created))

    def _item_unavailable(self) -> None:
        ids = self.line_ids
        missing, rest = ids[-1:], ids[:-1]
        allocated = self.line_status(self.allocate(self.confirm()), rest, "allocated")
        # The warehouse finds the shelf empty when allocating; the rest of the order goes ahead.
        gone = self.line_status(
            allocated,
            missing,
            "unavailable",
            reason="Out of stock at the warehouse",
            **self._substitute(missing[0]),
        )
        day = self.ship_day(allocated)
        self.parcel(1, rest, self.prepare(rest, allocated, day), day)
        self.window = (gone, None)

    def _substitute(self, line_id: str) -> dict[str, str]:
        """The same product in another variant, when it comes in more than one: what the shop
        offers the customer instead of the missing line (no randomness: the journey stays the same)."""
        line = next(ln for ln in self.lines if ln["line_id"] == line_id)
        product = next((p for p in self.brand.products if p.sku == line["sku"]), None)
        others = [v for v in (product.variants if product else ()) if v and v != line["variant"]]
        return {"substitute": f"{line['title']} ({others[0]})"} if others else {}

    def _being_prepared(self) -> None:
        allocated = self.line_status(self.allocate(self.confirm()), self.line_ids, "allocated")
        day = self.ship_day(allocated)
        parcel = self.parcel(1, self.line_ids, self.prepare(self.line_ids, allocated, day), day)
        self.window = (allocated, parcel.created)

    def _late_to_ship(self) -> None:
        # Stock reserved, then nothing for a week: the parcel leaves five to seven business days
        # later. ``now`` falls after the handling SLA (five days after checkout: at least two
        # business days, whatever the weekday) and before it ships.
        allocated = self.line_status(self.allocate(self.confirm()), self.line_ids, "allocated")
        late = add_business_days(self.local_date(allocated), self.rng.randint(5, 7), self.brand.country)
        parcel = self.parcel(1, self.line_ids, self.prepare(self.line_ids, allocated, late), late)
        self.window = (self.placed + timedelta(days=5), parcel.created)

    def _just_placed(self) -> None:
        confirmed = self.confirm()
        allocated = self.line_status(self.allocate(confirmed), self.line_ids, "allocated")
        self.window = (self.placed, allocated)

    def _cancelled(self) -> None:
        confirmed = self.confirm()
        cancel_at = confirmed + self.minutes(10, 20 * 60)
        allocated = self.allocate(confirmed)
        if allocated < cancel_at:
            self.line_status(allocated, self.line_ids, "allocated")
        reason = self.rng.choice(
            ("Customer asked to cancel", "Payment declined", "Duplicate order", "Failed fraud check")
        )
        self.add(cancel_at, "cancelled", "order.cancelled", reason=reason)
        self.window = (cancel_at, None)

    def _pickup(self, varied_hold: bool = False) -> tuple[datetime, datetime, datetime]:
        """Click and collect at one of the shop's stores; returns (ready, collected, deadline).

        Parcels are held a week; with ``varied_hold`` five to eight days, set by the checkout hour,
        so that placing the order at another moment can put the deadline on any day of the week
        (stores open at weekends): the scenario then fits whatever day ``now`` is."""
        point = self.rng.choice(self.brand.pickup_points)
        allocated = self.line_status(self.allocate(self.confirm()), self.line_ids, "allocated")
        day = self.ship_day(allocated)
        packed = self.prepare(self.line_ids, allocated, day)
        # Store transfers arrive the next business day.
        ready_day = add_business_days(day, 1, self.brand.country)
        ready = max(self.at(ready_day, (10.0, 12.0)), packed + self.minutes(60, 120))
        ready_day = self.local_date(ready)
        hold = 5 + int(self.placed.timestamp() // 3600) % 4 if varied_hold else 7
        deadline_day = ready_day + timedelta(days=hold)
        deadline = datetime.combine(deadline_day, time(point.closes_at), tzinfo=self.brand.tz).astimezone(UTC)
        lines = [{"line_id": i, "quantity": self._quantity(i)} for i in self.line_ids]
        location = {"name": point.name, "address": point.address, "hours": point.hours}
        self.add(ready, "pickup:ready", "pickup.ready", lines=lines, location=location, deadline=deadline)
        collected_day = self.local_date(ready) + timedelta(days=self.rng.choice((0, 1, 1, 2, 3, 5)))
        collected = max(
            self.at(collected_day, (11.0, float(point.closes_at) - 0.5)), ready + self.minutes(30, 90)
        )
        return ready, collected, deadline

    def _pickup_ready(self) -> None:
        ready, collected, _deadline = self._pickup()
        if self.rng.random() < 0.5:
            self.add(collected, "pickup:collected", "pickup.collected", lines=self._all_lines())
            self.window = (ready, collected)
        else:
            self.window = (ready, ready + timedelta(days=7))  # not collected yet

    def _pickup_expiring(self) -> None:
        _ready, _collected, deadline = self._pickup(varied_hold=True)
        # Never collected; ``now`` falls in the last day before the deadline (whatever the hour),
        # when the sweep sends the reminder and the page offers to extend it or deliver it.
        self.window = (deadline - timedelta(hours=23, minutes=59), deadline - timedelta(minutes=1))

    def _pickup_collected(self) -> None:
        _, collected, _deadline = self._pickup()
        self.window = (
            self.add(collected, "pickup:collected", "pickup.collected", lines=self._all_lines()),
            None,
        )

    def _all_lines(self) -> list[dict[str, Any]]:
        return [{"line_id": i, "quantity": self._quantity(i)} for i in self.line_ids]
