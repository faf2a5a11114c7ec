from django.contrib import admin
from django.urls import path

from aftercart.api.v1 import api
from aftercart.api.webhooks import aftership_webhook, shopify_webhook
from aftercart.web import views as web

urlpatterns = [
    path("", web.home, name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("webhooks/shopify/<slug:store>", shopify_webhook, name="webhook-shopify"),
    path("webhooks/aftership/<slug:store>", aftership_webhook, name="webhook-aftership"),
]
