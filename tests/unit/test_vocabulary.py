"""The shared vocabulary: subtags name their tag, and AfterShip codes map onto ours."""

from __future__ import annotations

import pytest

from aftercart.domain.vocabulary import (
    AFTERSHIP_SUBTAGS,
    AFTERSHIP_TAGS,
    CarrierTag,
    Subtag,
    aftership_status,
    default_subtag,
)


@pytest.mark.parametrize("subtag", list(Subtag), ids=lambda s: s.value)
def test_every_subtag_names_its_tag(subtag: Subtag) -> None:
    assert subtag.tag is CarrierTag(subtag.value.split(".")[0])


@pytest.mark.parametrize("tag", list(CarrierTag), ids=lambda t: t.value)
def test_every_tag_has_a_plain_subtag(tag: CarrierTag) -> None:
    assert default_subtag(tag).tag is tag
    assert default_subtag(tag).value == tag.value


def test_aftership_tags_cover_all_nine_tags() -> None:
    assert set(AFTERSHIP_TAGS.values()) == set(CarrierTag)


@pytest.mark.parametrize("code", sorted(AFTERSHIP_SUBTAGS), ids=str)
def test_aftership_subtag_code_belongs_to_the_tag_it_is_named_after(code: str) -> None:
    camel_tag = code.split("_")[0]
    tag, subtag = aftership_status(camel_tag, code)
    assert tag is AFTERSHIP_TAGS[camel_tag]
    assert subtag is AFTERSHIP_SUBTAGS[code]
    assert subtag.tag is tag


@pytest.mark.parametrize(
    ("tag", "subtag", "expected"),
    [
        ("Exception", "Exception_013", (CarrierTag.EXCEPTION, Subtag.EXCEPTION_LOST)),
        ("Exception", "Exception_012", (CarrierTag.EXCEPTION, Subtag.EXCEPTION_DAMAGED)),
        ("Exception", "Exception_010", (CarrierTag.EXCEPTION, Subtag.EXCEPTION_RETURN_TO_SENDER)),
        ("Exception", "Exception_011", (CarrierTag.EXCEPTION, Subtag.EXCEPTION_RETURNED_TO_SENDER)),
        (
            "AttemptFail",
            "AttemptFail_001",
            (CarrierTag.ATTEMPT_FAIL, Subtag.ATTEMPT_FAIL_ADDRESSEE_UNAVAILABLE),
        ),
        ("Delivered", "Delivered_005", (CarrierTag.DELIVERED, Subtag.DELIVERED_NEIGHBOUR)),
        ("Delivered", "Delivered_002", (CarrierTag.DELIVERED, Subtag.DELIVERED_PICKED_UP)),
        (
            "AvailableForPickup",
            "AvailableForPickup_001",
            (CarrierTag.AVAILABLE_FOR_PICKUP, Subtag.AVAILABLE_FOR_PICKUP),
        ),
        ("Expired", "Expired_001", (CarrierTag.EXPIRED, Subtag.EXPIRED)),
        ("InfoReceived", "InfoReceived_001", (CarrierTag.INFO_RECEIVED, Subtag.INFO_RECEIVED)),
        ("Pending", "Pending_003", (CarrierTag.PENDING, Subtag.PENDING)),
    ],
)
def test_documented_aftership_codes(tag: str, subtag: str, expected: tuple[CarrierTag, Subtag]) -> None:
    assert aftership_status(tag, subtag) == expected


@pytest.mark.parametrize(
    ("tag", "subtag", "expected"),
    [
        # our own snake_case spelling is accepted as well as AfterShip's
        ("exception", "exception.lost", (CarrierTag.EXCEPTION, Subtag.EXCEPTION_LOST)),
        ("delivered", None, (CarrierTag.DELIVERED, Subtag.DELIVERED)),
        # a subtag AfterShip added after our table (2026-07: Exception_016...) keeps its tag
        ("Exception", "Exception_016", (CarrierTag.EXCEPTION, Subtag.EXCEPTION)),
        ("InTransit", "InTransit_011", (CarrierTag.IN_TRANSIT, Subtag.IN_TRANSIT)),
        # a subtag of another tag never wins over the tag
        ("InTransit", "Exception_013", (CarrierTag.IN_TRANSIT, Subtag.IN_TRANSIT)),
        ("in_transit", "delivered.neighbour", (CarrierTag.IN_TRANSIT, Subtag.IN_TRANSIT)),
        # nothing readable is "pending", never progress
        (None, None, (CarrierTag.PENDING, Subtag.PENDING)),
        ("", "", (CarrierTag.PENDING, Subtag.PENDING)),
        ("Teleported", "Teleported_001", (CarrierTag.PENDING, Subtag.PENDING)),
        (None, "Delivered_001", (CarrierTag.PENDING, Subtag.PENDING)),
    ],
)
def test_fallbacks(tag: str | None, subtag: str | None, expected: tuple[CarrierTag, Subtag]) -> None:
    assert aftership_status(tag, subtag) == expected
