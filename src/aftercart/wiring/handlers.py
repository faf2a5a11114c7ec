"""Who handles what: read top to bottom, this is what happens after a ledger batch commits facts.

Every subscription is idempotent (``ready()`` runs again in tests): a second call changes nothing.
"""

from __future__ import annotations

from aftercart.claims import personal_data as claims_data
from aftercart.claims.renderers import CLAIM_MESSAGES
from aftercart.claims.selectors import claim_steps_for_order
from aftercart.domain.milestones import CLAIM_MILESTONES, FEEDBACK_MILESTONES, RETURN_MILESTONES
from aftercart.exceptions import personal_data as exceptions_data
from aftercart.exceptions.receivers import sync_exceptions
from aftercart.feedback import personal_data as feedback_data
from aftercart.feedback.renderers import FEEDBACK_MESSAGES, delivered_placements
from aftercart.kernel.events import subscribe
from aftercart.kernel.personal_data import PersonalData, personal_data_register
from aftercart.kernel.presenter import register_subject_steps
from aftercart.notifications import personal_data as notifications_data
from aftercart.notifications.receivers import plan_notifications
from aftercart.notifications.renderers import order_email_extra_register, renderer_register
from aftercart.orders import personal_data as orders_data
from aftercart.orders.events import ForeignParcelEvents, MilestonesReached, OrderProjected
from aftercart.orders.parcels import parcel_owner_register
from aftercart.privacy import admin_log
from aftercart.returns import personal_data as returns_data
from aftercart.returns.receivers import return_parcels, track_returns
from aftercart.returns.renderers import RETURN_MESSAGES
from aftercart.returns.selectors import return_steps_for_order
from aftercart.support import personal_data as support_data


def wire() -> None:
    """Subscribe every handler, register every parcel owner and message renderer."""
    # 1. The ledger appends a batch. Tracking numbers of return parcels are the returns app's: their
    #    carrier events stay off the orders (one indexed query per batch with carrier events) ...
    parcel_owner_register(return_parcels)
    # ... and move the returns instead, inside the ledger's transaction.
    subscribe(ForeignParcelEvents, track_returns)

    # 2. Orders re-projected and new milestones reached → outbox rows, in the ledger's transaction.
    subscribe(MilestonesReached, plan_notifications)

    # 3. Every re-projected order → its exception cases opened and resolved. The cases that need a
    #    customer message publish MilestonesReached in turn (handled by 2.).
    subscribe(OrderProjected, sync_exceptions)

    # 4. The outbox renders a return's messages with the returns app's content.
    renderer_register(RETURN_MILESTONES, RETURN_MESSAGES)

    # 4b. ... and the feedback app's (surveys, onboarding, replenishment, review requests), and
    #     its placements (cross-sell, loyalty) in the order's delivered e-mail.
    renderer_register(FEEDBACK_MILESTONES, FEEDBACK_MESSAGES)
    order_email_extra_register(delivered_placements)

    # 5. The ops console's order page shows each return's next step (the console sits below returns).
    register_subject_steps("returns", return_steps_for_order)
    # ... and a claim's messages and steps, likewise (aftercart.claims).
    renderer_register(CLAIM_MILESTONES, CLAIM_MESSAGES)
    register_subject_steps("claims", claim_steps_for_order)

    # 6. A customer's personal data, app by app: what `aftercart privacy export|erase`, the API and
    #    the retention purge run (aftercart.privacy). Claims and conversations add theirs here.
    personal_data_register(PersonalData("orders", orders_data.export, orders_data.erase))
    personal_data_register(PersonalData("notifications", notifications_data.export, notifications_data.erase))
    personal_data_register(PersonalData("exceptions", exceptions_data.export, exceptions_data.erase))
    personal_data_register(
        PersonalData("returns", returns_data.export, returns_data.erase, returns_data.files)
    )
    personal_data_register(PersonalData("claims", claims_data.export, claims_data.erase, claims_data.files))
    personal_data_register(PersonalData("admin_log", admin_log.export, admin_log.erase))
    personal_data_register(PersonalData("support", support_data.export, support_data.erase))
    personal_data_register(PersonalData("feedback", feedback_data.export, feedback_data.erase))
