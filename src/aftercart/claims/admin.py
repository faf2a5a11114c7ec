"""Admin: claims policy versions (an edit saves a new version), warranty periods per product or
category, and claims and warranty registrations to look up (decisions go through the ops queue
and the API, which record each step as a fact)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from aftercart.claims.models import (
    CarrierClaim,
    Claim,
    ClaimFact,
    ClaimLine,
    ClaimPolicyVersion,
    WarrantyPeriod,
    WarrantyRegistration,
)
from aftercart.claims.services.policy import claim_policy_save
from aftercart.domain.claims import ClaimPolicy, PolicyError


class PolicyForm(forms.ModelForm):
    class Meta:
        model = ClaimPolicyVersion
        fields = ("store", "data")

    def clean_data(self) -> dict[str, Any]:
        data = self.cleaned_data["data"]
        try:
            ClaimPolicy.from_dict(data)
        except PolicyError as error:
            raise forms.ValidationError(f"{error.field}: {error.message}") from None
        return data


@admin.register(ClaimPolicyVersion)
class ClaimPolicyVersionAdmin(admin.ModelAdmin):
    """Saving (a new policy or an edit of an old one) always creates the store's next version."""

    form = PolicyForm
    list_display = ("store", "version", "created_at", "created_by")
    list_filter = ("store",)
    readonly_fields = ("version", "created_at", "created_by")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"data": ClaimPolicy().to_dict()}

    def save_model(self, request: HttpRequest, obj: ClaimPolicyVersion, form: Any, change: bool) -> None:
        saved = claim_policy_save(
            store=obj.store, data=form.cleaned_data["data"], actor=getattr(request.user, "username", "")
        )
        obj.pk, obj.version, obj.created_at, obj.created_by = (
            saved.pk,
            saved.version,
            saved.created_at,
            saved.created_by,
        )
        obj._state.adding = False


@admin.register(WarrantyPeriod)
class WarrantyPeriodAdmin(admin.ModelAdmin):
    """A product's own period (by product id or SKU) wins over its category's; neither: the
    claims policy's ``warranty.default_days``."""

    list_display = ("store", "scope", "key", "days", "updated_at")
    list_filter = ("store", "scope")
    search_fields = ("key",)
    fields = ("store", "scope", "key", "days")

    def save_model(self, request: HttpRequest, obj: WarrantyPeriod, form: Any, change: bool) -> None:
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)


class ClaimLineInline(admin.TabularInline):
    model = ClaimLine
    extra = 0
    can_delete = False
    readonly_fields = ("line_id", "sku", "title", "variant", "quantity", "value")
    fields = readonly_fields


class ClaimFactInline(admin.TabularInline):
    model = ClaimFact
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "status", "actor", "occurred_at", "payload")
    fields = readonly_fields


class CarrierClaimInline(admin.StackedInline):
    model = CarrierClaim
    extra = 0
    can_delete = False


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "store",
        "kind",
        "status",
        "claimed_value",
        "needs_review",
        "overdue",
        "created_at",
    )
    list_filter = ("store", "status", "kind", "needs_review", "overdue")
    search_fields = ("number", "order__external_id", "order__number", "email", "tracking_number")
    inlines = (ClaimLineInline, CarrierClaimInline, ClaimFactInline)
    readonly_fields = tuple(f.name for f in Claim._meta.fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WarrantyRegistration)
class WarrantyRegistrationAdmin(admin.ModelAdmin):
    list_display = ("order", "line_id", "title", "serial_number", "expires_at", "registered_at")
    list_filter = ("store",)
    search_fields = ("order__external_id", "serial_number", "sku", "product_id")
    readonly_fields = ("registered_at",)
