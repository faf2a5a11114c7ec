from django.contrib import admin

from aftercart.exceptions.models import OrderException


@admin.register(OrderException)
class OrderExceptionAdmin(admin.ModelAdmin):
    list_display = (
        "kind",
        "severity",
        "queue",
        "store",
        "order",
        "subject",
        "carrier",
        "opened_at",
        "resolved_at",
    )
    list_filter = ("kind", "severity", "queue", "store")
    search_fields = ("order__number", "order__external_id", "subject", "carrier")
    raw_id_fields = ("order",)
    date_hierarchy = "opened_at"
