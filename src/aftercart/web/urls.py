"""Customer-facing and operator pages."""

from django.urls import path

from aftercart.web import contact, feedback, feedback_ops, packing, preferences, views
from aftercart.web.claims import ops as claims_ops
from aftercart.web.claims import start as claims_start
from aftercart.web.claims import status as claims_status
from aftercart.web.claims import warranty as claims_warranty
from aftercart.web.ops import returns as ops_returns
from aftercart.web.ops import setup as ops_setup
from aftercart.web.ops import shopify as ops_shopify
from aftercart.web.ops import store_settings as ops_settings
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
    path("t/<str:token>/contact", contact.track_contact, name="track-contact"),
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
    # Claims (lost, not received, damaged, wrong or missing items, warranty): opened with the
    # order's signed link like the portal; a claim's page is named by its random number.
    path("claims/<str:token>", claims_start.claim_start, name="claims"),
    path("claims/<str:token>/submit", claims_start.claim_submit, name="claims-submit"),
    path("claims/<str:token>/warranty", claims_warranty.warranty_page, name="claims-warranty"),
    path("claims/<str:token>/<str:number>", claims_status.claim_status, name="claim-status"),
    path("claims/<str:token>/<str:number>/evidence", claims_status.claim_evidence, name="claim-evidence"),
    # The claims queue (staff only), beside the exception queue under /ops/.
    path("ops/claims", claims_ops.claims_queue, name="ops-claims"),
    path("ops/claims/<str:number>", claims_ops.claim_detail, name="ops-claim"),
    path("ops/claims/<str:number>/act", claims_ops.claim_act, name="ops-claim-act"),
    path("ops/claims/<str:number>/packet.pdf", claims_ops.claim_packet, name="ops-claim-packet"),
    path("ops/claims/<str:number>/photos/<int:photo_id>", claims_ops.claim_photo, name="ops-claim-photo"),
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
    # The back office's store pages: setup checklist, settings and API keys, Shopify, returns.
    path("ops/setup/", ops_setup.setup_page, name="ops-setup"),
    path("ops/settings/", ops_settings.settings_page, name="ops-settings"),
    path("ops/settings/save", ops_settings.settings_save, name="ops-settings-save"),
    path("ops/settings/stores/new", ops_settings.store_new, name="ops-store-new"),
    path("ops/settings/keys/issue", ops_settings.key_issue, name="ops-key-issue"),
    path("ops/settings/keys/revoke", ops_settings.key_revoke, name="ops-key-revoke"),
    path("ops/settings/shopify", ops_shopify.shopify_page, name="ops-shopify"),
    path("ops/settings/shopify/connect", ops_shopify.shopify_connect_view, name="ops-shopify-connect"),
    path("ops/settings/shopify/backfill", ops_shopify.shopify_backfill_view, name="ops-shopify-backfill"),
    path("ops/settings/shopify/step", ops_shopify.shopify_step, name="ops-shopify-step"),
    path("ops/returns/", ops_returns.returns_list, name="ops-returns"),
    path("ops/returns/<str:rma>", ops_returns.return_detail, name="ops-return"),
    path("ops/returns/<str:rma>/<str:action>", ops_returns.return_act, name="ops-return-act"),
]
