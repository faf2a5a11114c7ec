"""Admin: each store's support settings (secrets never shown back in full) and the conversations.

The agents' console is its own page (the support console); this is the operator's view of the
settings and of the raw records.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from aftercart.domain.outbound_urls import safe_url
from aftercart.support.models import Automation, Conversation, Message, SupportSettings

SECRETS = (
    "postmark_password",
    "zendesk_api_token",
    "zendesk_webhook_secret",
    "gorgias_api_key",
    "gorgias_webhook_secret",
)


def masked(value: str) -> str:
    """A secret as it may be shown: its last four characters at most, never all of it."""
    if not value:
        return "(not set)"
    return "…" + value[-4:] if len(value) >= 12 else "(set)"


class SupportSettingsForm(forms.ModelForm):
    """Secrets are write-only: shown masked, an empty field keeps the one stored."""

    class Meta:
        model = SupportSettings
        fields = (
            "store",
            "automation_enabled",
            "confidence_threshold",
            "inbound_addresses",
            "postmark_username",
            "postmark_password",
            "zendesk_base_url",
            "zendesk_email",
            "zendesk_api_token",
            "zendesk_webhook_secret",
            "gorgias_base_url",
            "gorgias_username",
            "gorgias_api_key",
            "gorgias_webhook_secret",
        )
        widgets = {name: forms.PasswordInput(render_value=False) for name in SECRETS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in SECRETS:
            self.fields[name].required = False
            current = getattr(self.instance, name, "") if self.instance.pk else ""
            self.fields[name].help_text = f"Stored: {masked(current)}. Leave empty to keep it."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in SECRETS:
            if not data.get(name) and self.instance.pk:
                data[name] = getattr(self.instance, name)
        for name in ("zendesk_base_url", "gorgias_base_url"):
            if data.get(name) and not safe_url(data[name]):
                self.add_error(name, "Enter an absolute https URL (https://<account>.zendesk.com).")
        addresses = data.get("inbound_addresses") or []
        if not isinstance(addresses, list) or not all(isinstance(a, str) and "@" in a for a in addresses):
            raise ValidationError(
                {"inbound_addresses": 'A list of e-mail addresses: ["support@shop.example"].'}
            )
        threshold = data.get("confidence_threshold")
        if threshold is not None and not 0 <= threshold <= 1:
            self.add_error("confidence_threshold", "Between 0 and 1.")
        return data


@admin.register(SupportSettings)
class SupportSettingsAdmin(admin.ModelAdmin):
    form = SupportSettingsForm
    list_display = ("store", "automation_enabled", "confidence_threshold", "zendesk", "gorgias", "postmark")

    @admin.display(description="Zendesk")
    def zendesk(self, obj: SupportSettings) -> str:
        return obj.zendesk_base_url or "—"

    @admin.display(description="Gorgias")
    def gorgias(self, obj: SupportSettings) -> str:
        return obj.gorgias_base_url or "—"

    @admin.display(description="Postmark")
    def postmark(self, obj: SupportSettings) -> str:
        return "set" if obj.postmark_password else "—"


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ("occurred_at", "direction", "kind", "author", "channel", "text", "delivery", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("public_id", "store", "channel", "state", "intent", "order", "priority", "updated_at")
    list_filter = ("store", "state", "channel", "intent", "priority")
    search_fields = ("public_id", "subject", "customer_email", "customer_phone", "order__number")
    raw_id_fields = ("order", "assignee")
    readonly_fields = ("public_id", "created_at", "updated_at", "last_inbound_at")
    inlines = [MessageInline]


@admin.register(Automation)
class AutomationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "decision", "intent", "confidence", "action", "conversation")
    list_filter = ("decision", "intent", "action")
    raw_id_fields = ("conversation", "message", "reply", "order")
