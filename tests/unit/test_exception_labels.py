"""The queue's words for the detector's codes: every kind has a label, details read as sentences."""

from __future__ import annotations

from datetime import UTC, datetime

from aftercart.domain.exceptions import ExceptionKind
from aftercart.exceptions import labels

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_every_kind_has_a_label_and_no_label_is_a_code():
    for kind in ExceptionKind:
        label = labels.kind_label(kind.value)
        assert label and "_" not in label and label != kind.value


def test_a_stall_reads_as_time_without_a_scan():
    text = labels.detail_label("stalled", "no scan since 2026-11-27T07:35:12+00:00", NOW, {})
    assert text.startswith("No carrier scan for 1")  # 1 week / 10 days depending on depth
    assert "2026-11-27T" not in text and "27 Nov" in text


def test_a_line_subject_is_its_product_and_a_parcel_its_tracking_number():
    titles = {"3": "Linen shirt (M)"}
    parcels = {"S-1": labels.ShipmentRef("ups", "1Z999")}
    assert labels.subject_label("line:3", titles, parcels) == "Linen shirt (M)"
    assert labels.subject_label("line:9", titles, parcels) == "Order line 9"
    assert labels.subject_label("S-1", titles, parcels) == "Parcel 1Z999 (UPS)"
    assert labels.subject_label("", titles, parcels) == "Whole order"
    assert labels.subject_label("return:RMA7", titles, parcels) == "Return RMA7"


def test_unshipped_lines_are_named_by_product():
    text = labels.detail_label("not_shipped_in_sla", "unshipped: 3, 4", NOW, {"3": "Mug"})
    assert text == "Still to ship: Mug, line 4"


def test_delays_and_deadlines_read_as_days():
    assert labels.detail_label("delayed", "overdue since 2026-12-06", NOW, {}) == (
        "Promised for yesterday (06 Dec); not delivered"
    )
    assert labels.detail_label("delayed", "2026-12-08", NOW, {}) == "Carrier now expects tomorrow (08 Dec)"
    assert labels.detail_label("pickup_expiring", "2026-12-08T12:00:00+00:00", NOW, {}).startswith(
        "Pickup deadline in 1\xa0day"
    )
    assert labels.detail_label("item_unavailable", "1 unit(s)", NOW, {}) == "1 unit out of stock"


def test_text_the_detector_did_not_write_is_kept_with_its_dates_readable():
    assert labels.detail_label("lost", "Parcel lost in depot", NOW, {}) == "Parcel lost in depot"
    assert "2026-11-27T" not in labels.detail_label("lost", "seen 2026-11-27T07:35:12Z", NOW, {})


def test_carriers_are_named_as_people_write_them():
    assert labels.carrier_label("dhl_express") == "DHL Express"
    assert labels.carrier_label("fedex") == "FedEx"
    assert labels.carrier_label("poste_italiane") == "Poste Italiane"
    assert labels.carrier_label("") == ""
