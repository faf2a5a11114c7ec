from django.contrib import admin
from django.urls import include, path

from aftercart.api.support import gorgias_webhook, postmark_webhook, zendesk_webhook
from aftercart.api.twilio import twilio_sms_webhook
from aftercart.api.v1 import api
from aftercart.api.webhooks import aftership_webhook, shopify_webhook
from aftercart.demo.storefront import thank_you

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("webhooks/shopify/<slug:store>", shopify_webhook, name="webhook-shopify"),
    path("webhooks/aftership/<slug:store>", aftership_webhook, name="webhook-aftership"),
    path("webhooks/twilio/<slug:store>/sms", twilio_sms_webhook, name="webhook-twilio-sms"),
    path("webhooks/zendesk/<slug:store>", zendesk_webhook, name="webhook-zendesk"),
    path("webhooks/gorgias/<slug:store>", gorgias_webhook, name="webhook-gorgias"),
    path("webhooks/postmark/<slug:store>", postmark_webhook, name="webhook-postmark"),
    path("ops/mailbox/", include("aftercart.demo.urls")),
    path("demo/thank-you/<slug:store>", thank_you, name="demo-thank-you"),
    path("ops/support/", include("aftercart.support.console.urls")),
    path("ops/", include("aftercart.exceptions.urls")),
    path("", include("aftercart.web.urls")),
]
