"""Orders in the Django admin: read-only (the ledger's facts are the truth; an order changes only
through facts), searchable by number, store id, e-mail and a parcel's tracking number, with its
lines, parcels and facts inline, and a link to the back office's order page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from aftercart.orders.models import Fact, Order, OrderLine, Shipment


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LineInline(_ReadOnlyInline):
    model = OrderLine
    fields = (
        "line_id",
        "title",
        "variant",
        "sku",
        "quantity",
        "shipped_quantity",
        "unavailable_quantity",
        "status",
    )
    readonly_fields = fields


class ShipmentInline(_ReadOnlyInline):
    model = Shipment
    fields = (
        "carrier",
        "tracking_number",
        "tag",
        "subtag",
        "shipped_at",
        "last_checkpoint_at",
        "estimated_delivery",
        "delivered_at",
    )
    readonly_fields = fields


class FactInline(_ReadOnlyInline):
    model = Fact
    fields = ("occurred_at", "kind", "source", "tracking_number", "payload")
    readonly_fields = fields
    ordering = ("occurred_at", "pk")
    #: A long-running order may have hundreds of facts; the back office's page has them all.
    max_num = 200


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("__str__", "store", "email", "placed_at", "stage", "next_step", "back_office")
    list_filter = ("store", "stage")
    list_select_related = ("store",)
    search_fields = ("number", "external_id", "email", "=shipments__tracking_number")
    date_hierarchy = "placed_at"
    ordering = ("-placed_at", "-pk")
    show_full_result_count = False
    inlines = (LineInline, ShipmentInline, FactInline)
    exclude = ("snapshot",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Order._meta.fields if f.name != "snapshot"] + ["back_office"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # view only: an order changes through facts

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # erasure goes through `aftercart privacy` (its receipt, every app's data)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Order], search_term: str) -> Any:
        qs, _duplicates = super().get_search_results(request, queryset, search_term.strip().removeprefix("#"))
        if search_term.strip().startswith("#"):
            qs |= queryset.filter(number__iexact=search_term.strip())
        return qs.distinct(), False

    @admin.display(description="Back office")
    def back_office(self, obj: Order) -> str:
        return format_html('<a href="{}">Open the order page</a>', reverse("exceptions:order", args=[obj.pk]))
