"""Customer-facing and operator pages."""

from django.urls import path

from aftercart.web import feedback, feedback_ops, packing, preferences, views
from aftercart.web.returns import offers as returns_offers
from aftercart.web.returns import start as returns_start
from aftercart.web.returns import status as returns_status
from aftercart.web.returns import submit as returns_submit
from aftercart.web.widget import views as widget

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("track", views.track_lookup, name="track"),
    # Tokens are signing.dumps output: URL-safe base64 and ":" (never "/"), so <str:> matches them.
    path("t/<str:token>", views.track_order, name="track-order"),
    path("t/<str:token>/choices", views.track_choice, name="track-choice"),
    # The order's survey (e-mail score links land here; recorded only on POST: docs/feedback.md).
    path("t/<str:token>/feedback", feedback.feedback_page, name="feedback"),
    # The preference page and RFC 8058 one-click unsubscribe (links.preferences_url).
    path("p/<str:token>", preferences.preferences_page, name="preferences"),
    path("p/<str:token>/save", preferences.preferences_save, name="preferences-save"),
    # The returns portal: found by lookup, or opened with the order's signed link (the same token
    # as /t/<token>); a return's page is named by its random RMA, never a sequential id.
    path("returns", returns_start.returns_lookup, name="returns"),
    path("returns/<str:token>", returns_start.returns_start, name="returns-start"),
    path("returns/<str:token>/review", returns_offers.returns_review, name="returns-review"),
    path("returns/<str:token>/submit", returns_submit.returns_submit, name="returns-submit"),
    path("returns/<str:token>/<str:rma>", returns_status.return_status, name="returns-status"),
    path("returns/<str:token>/<str:rma>/label.pdf", returns_status.return_label, name="returns-label"),
    # The order-confirmation widget, framed by the store's own site (docs/widget.md): opened with
    # the order's tracking token, or from Shopify's order status page with an HMAC of the order id.
    path("w/<slug:store>/shopify/<str:order_id>/<str:digest>", widget.widget_shopify, name="widget-shopify"),
    path("w/<slug:store>/<str:token>", widget.widget_page, name="widget"),
    path("w/<slug:store>/<str:token>/sms", widget.widget_sms, name="widget-sms"),
    # The operators' packing slips (staff only), beside the exception queue under /ops/.
    path("ops/feedback", feedback_ops.feedback_ops, name="ops-feedback"),
    path("ops/packing-slips", packing.packing_list, name="ops-packing-slips"),
    path("ops/packing-slips/orders/<int:order_id>.pdf", packing.packing_slip, name="ops-packing-slip"),
    path(
        "ops/packing-slips/<slug:store>/to-pack.pdf",
        packing.packing_slips_to_pack,
        name="ops-packing-slips-to-pack",
    ),
]
