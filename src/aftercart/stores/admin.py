from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.templatetags.static import static
from django.utils.html import format_html

from aftercart.stores.models import ApiKey, CareInstruction, Store
from aftercart.stores.services import (
    WidgetRefused,
    api_key_issue,
    api_key_revoke,
    store_widget_secret_rotate,
    widget_origins_clean,
)

#: The order status page snippet for Shopify (docs/widget.md): Liquid signs the order id on
#: Shopify's servers, so the secret never reaches the customer's browser.
SHOPIFY_SNIPPET = """{{% assign aftercart = order.id | hmac_sha256: '{secret}' %}}
<div data-aftercart-widget="/w/{slug}/shopify/{{{{ order.id }}}}/{{{{ aftercart }}}}"
     data-lang="{{{{ request.locale.iso_code }}}}"></div>
<script src="{script}" async></script>
<noscript><iframe src="{base}/w/{slug}/shopify/{{{{ order.id }}}}/{{{{ aftercart }}}}"
  title="Order updates" width="100%" height="520" frameborder="0"></iframe></noscript>"""


class StoreForm(forms.ModelForm):
    """The store, with its widget's site origins checked by the service's own rule."""

    class Meta:
        model = Store
        fields = ("widget_origins",)  # the admin adds the rest (ModelAdmin.get_fields)

    def clean_widget_origins(self) -> list[str]:
        value = self.cleaned_data.get("widget_origins") or []
        if not isinstance(value, list):
            raise forms.ValidationError('A list of origins, e.g. ["https://shop.example.com"].')
        try:
            return widget_origins_clean([str(v) for v in value])
        except WidgetRefused as refused:
            raise forms.ValidationError(next(iter(refused.errors.values()))) from refused


class CareInstructionInline(admin.StackedInline):
    """The store's care texts, one per category and language (printed on packing slips)."""

    model = CareInstruction
    extra = 0
    fields = ("category", "language", "title", "text")


class ApiKeyInline(admin.TabularInline):
    """Keys are listed, never typed in: a key's secret exists only in the moment it is issued."""

    model = ApiKey
    extra = 0
    can_delete = False
    fields = ("name", "prefix", "created_at", "revoked_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    form = StoreForm
    list_display = ("name", "slug", "country", "timezone", "default_locale")
    search_fields = ("name", "slug")
    inlines = [CareInstructionInline, ApiKeyInline]
    actions = ["issue_api_key", "new_widget_secret"]
    readonly_fields = ("widget_secret", "widget_install")

    @admin.display(description="Shopify order status page snippet")
    def widget_install(self, store: Store) -> Any:
        """What to paste into Shopify (Settings › Checkout › Order status page › Additional
        scripts), with this store's secret; the site origins above must list the shop's address."""
        if not store.pk or not store.widget_secret:
            return "Make a widget secret first (the store list's action “Make a new widget secret”)."
        base = str(settings.AFTERCART_BASE_URL).rstrip("/")
        snippet = SHOPIFY_SNIPPET.format(
            secret=store.widget_secret,
            slug=store.slug,
            base=base,
            script=base + static("aftercart/widget.js"),
        )
        return format_html("<pre>{}</pre>", snippet)

    @admin.action(description="Make a new widget secret (the Shopify snippet must be pasted again)")
    def new_widget_secret(self, request: HttpRequest, queryset: QuerySet[Store]) -> None:
        for store in queryset:
            store_widget_secret_rotate(store=store)
        self.message_user(
            request,
            "New widget secrets made: paste each store's new snippet (on its page) into Shopify. "
            "Order status pages signed with the old secret show an error until then.",
            messages.WARNING,
        )

    def get_deleted_objects(
        self, objs: Sequence[Store] | QuerySet[Store], request: HttpRequest
    ) -> tuple[list[str], dict[str, int], set[str], list[str]]:
        """What the delete confirmation shows: how many rows of each kind go with the store, not
        each of them (a store's facts and messages run to millions), and no permission asked beyond
        deleting stores: the store's data goes with it, including rows nobody may delete one by one
        (policy versions, ledger facts)."""
        stores = list(objs)
        counts = {}
        for relation in Store._meta.related_objects:
            model = relation.field.model  # the related model (related_model, typed as maybe "self")
            rows = model._default_manager.filter(**{f"{relation.field.name}__in": stores})
            if found := rows.count():
                counts[str(model._meta.verbose_name_plural)] = found
        return [str(store) for store in stores], counts, set(), []

    @admin.action(description="Issue a new API key (shown once)")
    def issue_api_key(self, request: HttpRequest, queryset: QuerySet[Store]) -> None:
        for store in queryset:
            issued = api_key_issue(store=store, name=f"admin:{request.user}")
            self.message_user(
                request,
                f"{store.name}: {issued.token} — copy it now; it is not stored and cannot be shown again.",
                messages.WARNING,
            )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("store", "name", "prefix", "created_at", "revoked_at")
    list_filter = ("store",)
    readonly_fields = ("store", "name", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issue keys from the store's "Issue a new API key" action

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset.filter(revoked_at=None):
            api_key_revoke(api_key=api_key)
        self.message_user(request, "Revoked. Requests with these keys now get 401.")


@admin.register(CareInstruction)
class CareInstructionAdmin(admin.ModelAdmin):
    """Care texts across stores: "knitwear" in "fr" for one store, printed on its packing slips."""

    list_display = ("store", "category", "language", "title", "updated_at")
    list_filter = ("store", "language")
    search_fields = ("category", "title", "text")
