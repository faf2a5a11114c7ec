"""The delivery-window model's business days are the house calendar's:
:class:`aftercart.domain.calendar.BusinessCalendar`. This name stays importable because stored
models (``DeliveryModel.model``, pickled) refer to the class by this path."""

from __future__ import annotations

from aftercart.domain.calendar import BusinessCalendar

__all__ = ["BusinessCalendar"]
