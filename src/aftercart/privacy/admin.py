from django.contrib import admin
from django.http import HttpRequest

from aftercart.privacy.models import ErasureReceipt


@admin.register(ErasureReceipt)
class ErasureReceiptAdmin(admin.ModelAdmin):
    """Receipts are evidence: shown, never edited or deleted by hand."""

    list_display = ("completed_at", "store", "kind", "subject", "requested_by", "matched_by")
    list_filter = ("kind", "store")
    search_fields = ("subject", "requested_by")
    readonly_fields = [f.name for f in ErasureReceipt._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
