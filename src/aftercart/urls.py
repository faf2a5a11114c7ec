from django.contrib import admin
from django.urls import include, path

from aftercart.api.v1 import api
from aftercart.api.webhooks import aftership_webhook, shopify_webhook

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("webhooks/shopify/<slug:store>", shopify_webhook, name="webhook-shopify"),
    path("webhooks/aftership/<slug:store>", aftership_webhook, name="webhook-aftership"),
    path("ops/", include("aftercart.cases.urls")),
    path("", include("aftercart.web.urls")),
]
