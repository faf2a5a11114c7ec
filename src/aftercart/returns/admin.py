"""Admin: policy versions (an edit saves a new version) and returns with a review queue."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from aftercart.domain.returns import PolicyError, ReturnMethod, ReturnPolicy
from aftercart.domain.returns.lifecycle import IllegalTransition, ReturnEvent, ReturnStatus, next_status
from aftercart.returns.models import (
    LabelPurchase,
    LabelSettings,
    Return,
    ReturnFact,
    ReturnLine,
    ReturnPolicyVersion,
    StockLevel,
)
from aftercart.returns.services.labels import return_issue_label
from aftercart.returns.services.policy import return_policy_save
from aftercart.returns.services.purchase import label_purchase_retry
from aftercart.returns.services.transition import return_transition


class PolicyForm(forms.ModelForm):
    class Meta:
        model = ReturnPolicyVersion
        fields = ("store", "data")

    def clean_data(self) -> dict[str, Any]:
        data = self.cleaned_data["data"]
        try:
            ReturnPolicy.from_dict(data)
        except PolicyError as error:
            raise forms.ValidationError(f"{error.field}: {error.message}") from None
        return data


@admin.register(ReturnPolicyVersion)
class ReturnPolicyVersionAdmin(admin.ModelAdmin):
    """Saving (a new policy or an edit of an old one) always creates the store's next version."""

    form = PolicyForm
    list_display = ("store", "version", "created_at", "created_by")
    list_filter = ("store",)
    readonly_fields = ("version", "created_at", "created_by")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"data": ReturnPolicy().to_dict()}

    def save_model(self, request: HttpRequest, obj: ReturnPolicyVersion, form: Any, change: bool) -> None:
        saved = return_policy_save(
            store=obj.store, data=form.cleaned_data["data"], actor=getattr(request.user, "username", "")
        )
        obj.pk, obj.version, obj.created_at, obj.created_by = (
            saved.pk,
            saved.version,
            saved.created_at,
            saved.created_by,
        )
        obj._state.adding = False
        if change:
            messages.info(
                request, f"Saved as a new version, v{saved.version}; earlier versions are kept unchanged."
            )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReviewQueue(admin.SimpleListFilter):
    title = "review queue"
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("review", "Waiting for review"), ("open", "Open (not finished)")]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() == "review":
            return queryset.filter(needs_review=True, status=ReturnStatus.REQUESTED.value)
        if self.value() == "open":
            return queryset.exclude(status__in=["resolved", "rejected", "cancelled"])
        return queryset


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    extra = 0
    can_delete = False
    fields = (
        "line_id",
        "title",
        "variant",
        "quantity",
        "reason",
        "condition",
        "resolution",
        "value",
        "refund_amount",
        "credit_amount",
        "exchange_amount",
        "accepted",
        "photos",
    )
    readonly_fields = fields


class ReturnFactInline(admin.TabularInline):
    model = ReturnFact
    extra = 0
    can_delete = False
    fields = ("kind", "status", "actor", "occurred_at", "payload")
    readonly_fields = fields


class LabelPurchaseInline(admin.StackedInline):
    """The prepaid label being bought (EasyPost): its state, attempts and the last error — what
    the operator fixes (the address, the key, the account) before *Retry label purchase*."""

    model = LabelPurchase
    extra = 0
    can_delete = False
    fields = ("status", "attempts", "next_attempt_at", "last_error", "shipment_id", "rate_id", "fallback")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReturnLabelForm(forms.ModelForm):
    """The carrier label a store made itself (the ``manual`` provider): carrier, tracking number
    and where the label can be downloaded. Saved through ``return_issue_label``, like the API's
    ``POST /returns/{rma}/label``: the return moves to label_issued and its parcel's carrier events
    move it on."""

    label_url = forms.URLField(max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Return
        fields = ("carrier", "tracking_number", "label_url")

    def clean_label_url(self) -> str:
        url = str(self.cleaned_data.get("label_url") or "")
        if url and not url.startswith(("https://", "http://")):
            raise forms.ValidationError("Give an http(s) address.")
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ret = self.instance
        if not self.changed_data:
            return data
        if not data.get("tracking_number"):
            raise forms.ValidationError("Give the parcel's tracking number (with its carrier and label URL).")
        if not {"tracking_number", "label_url"} & set(self.changed_data):
            raise forms.ValidationError(
                "Changing only the carrier changes nothing: give the new tracking number with it."
            )
        if ret.method == ReturnMethod.IN_STORE.value or ret.keep_items:
            raise forms.ValidationError("This return has no parcel: the items come back in store or stay.")
        try:
            next_status(ReturnStatus(ret.status), ReturnEvent.ISSUE_LABEL, keep_items=ret.keep_items)
        except IllegalTransition as refused:
            raise forms.ValidationError(f"Not possible now: {refused.reason}.") from None
        return data


@admin.register(Return)
class ReturnAdmin(admin.ModelAdmin):
    list_display = (
        "rma",
        "store",
        "order",
        "status",
        "method",
        "tracking_number",
        "label_cost_shown",
        "needs_review",
        "returned_value",
        "refund_amount",
        "credit_amount",
        "exchange_amount",
        "created_at",
    )
    list_filter = (ReviewQueue, "status", "method", "needs_review", "label_purchase__status", "store")
    search_fields = ("rma", "order__number", "order__external_id", "email", "tracking_number")
    raw_id_fields = ("order",)
    date_hierarchy = "created_at"
    inlines = [LabelPurchaseInline, ReturnLineInline, ReturnFactInline]
    actions = ["approve", "reject", "retry_label_purchase"]
    form = ReturnLabelForm
    #: Everything but the store's own carrier label (see ReturnLabelForm) is read only.
    readonly_fields = [f.name for f in Return._meta.fields if f.name not in ReturnLabelForm.Meta.fields]

    @admin.display(description="label cost", ordering="label_cost")
    def label_cost_shown(self, obj: Return) -> str:
        return "" if obj.label_cost is None else f"{obj.label_cost} {obj.label_cost_currency}"

    @admin.action(description="Retry label purchase (after fixing what failed)")
    def retry_label_purchase(self, request: HttpRequest, queryset: Any) -> None:
        rets = list(queryset)
        done = sum(label_purchase_retry(ret) for ret in rets)
        messages.info(request, f"{done} label purchase(s) will be tried again within seconds.")
        if skipped := len(rets) - done:
            # Said rather than silently ignored: the operator picked them for a reason.
            messages.warning(
                request,
                f"{skipped} return(s) left as they were: only an approved return whose label "
                "purchase failed can be retried.",
            )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # returns are requested through the API or the portal, judged by the policy

    def save_model(self, request: HttpRequest, obj: Return, form: Any, change: bool) -> None:
        if not form.changed_data:
            return
        # Through the service, never obj.save(): the label step is a fact, with its messages.
        return_issue_label(
            obj,
            tracking_number=form.cleaned_data["tracking_number"],
            carrier=form.cleaned_data["carrier"],
            label_url=form.cleaned_data["label_url"],
        )

    @admin.action(description="Approve selected returns (from review)")
    def approve(self, request: HttpRequest, queryset: Any) -> None:
        self._move(request, queryset, ReturnEvent.APPROVE, "")

    @admin.action(description="Reject selected returns (from review)")
    def reject(self, request: HttpRequest, queryset: Any) -> None:
        self._move(request, queryset, ReturnEvent.REJECT, "rejected on review")

    def _move(self, request: HttpRequest, queryset: Any, event: ReturnEvent, reason: str) -> None:
        actor = f"admin:{getattr(request.user, 'username', '')}"
        done = 0
        for ret in queryset:
            try:
                return_transition(ret=ret, event=event, actor=actor, reason=reason)
                done += 1
            except IllegalTransition as refused:
                messages.warning(request, f"{ret.rma}: {refused.reason}")
        messages.info(request, f"{done} return(s): {event.value}")


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    """The stock feed's last figures (written by ``PUT /api/v1/inventory``): read here, fed there."""

    list_display = ("sku", "product_id", "variant", "available", "store", "updated_at")
    list_filter = ("store",)
    search_fields = ("sku", "product_id", "variant")
    readonly_fields = [f.name for f in StockLevel._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class LabelSettingsForm(forms.ModelForm):
    """The EasyPost key is write-only: never shown back (an empty field keeps the saved key)."""

    easypost_api_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the saved key.",
    )

    easypost_base_url = forms.URLField(
        required=False, assume_scheme="https", help_text="Empty: AFTERCART_EASYPOST_BASE_URL."
    )

    class Meta:
        model = LabelSettings
        fields = (
            "store",
            "provider",
            "easypost_api_key",
            "easypost_base_url",
            "rate_rule",
            "rate_carrier",
            "rate_service",
            "return_address",
            "parcel",
        )

    def clean_easypost_api_key(self) -> str:
        entered = str(self.cleaned_data.get("easypost_api_key") or "")
        return entered or (self.instance.easypost_api_key if self.instance.pk else "")


@admin.register(LabelSettings)
class LabelSettingsAdmin(admin.ModelAdmin):
    """Per store: the label provider, EasyPost's account and address, the rate rule, the address
    parcels come back to and the usual parcel (docs/returns.md, *Prepaid labels from EasyPost*)."""

    form = LabelSettingsForm
    list_display = ("store", "provider", "rate_rule", "rate_carrier", "rate_service")
