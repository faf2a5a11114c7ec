"""How a return's items really go back: what every touchpoint must tell the shopper."""

import pytest

from aftercart.domain.returns import ReturnMethod
from aftercart.domain.returns.next_step import sending_method


@pytest.mark.parametrize(
    ("method", "carrier_label", "carrier_qr", "expected"),
    [
        # a drop-off with the carrier's own code, or with only ours (no label bought): a code to show
        (ReturnMethod.DROPOFF, True, True, ReturnMethod.DROPOFF),
        (ReturnMethod.DROPOFF, False, False, ReturnMethod.DROPOFF),
        # a bought label without the carrier's code: its counter cannot read ours, so print the label
        (ReturnMethod.DROPOFF, True, False, ReturnMethod.LABEL),
        # the other methods are what was chosen
        (ReturnMethod.LABEL, True, False, ReturnMethod.LABEL),
        (ReturnMethod.LABEL, True, True, ReturnMethod.LABEL),
        (ReturnMethod.IN_STORE, False, False, ReturnMethod.IN_STORE),
        ("no-such-method", False, False, ReturnMethod.LABEL),
    ],
)
def test_the_way_back_is_what_the_shopper_can_really_use(method, carrier_label, carrier_qr, expected):
    assert sending_method(method, carrier_label=carrier_label, carrier_qr=carrier_qr) is expected
