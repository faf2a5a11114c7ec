from django.contrib import admin
from django.http import HttpRequest

from aftercart.notifications.models import ChannelConfig, DeliveryAttempt, Message
from aftercart.notifications.services import message_retry_now


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "finished_at", "outcome", "error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = (
        "dedupe_key",
        "store",
        "channel",
        "milestone",
        "status",
        "reason",
        "send_at",
        "sent_at",
        "attempts",
    )
    list_filter = ("status", "channel", "milestone", "store")
    search_fields = ("dedupe_key", "recipient", "order__number", "order__external_id", "provider_message_id")
    list_select_related = ("store",)
    raw_id_fields = ("order",)
    readonly_fields = [f.name for f in Message._meta.fields]
    inlines = [DeliveryAttemptInline]
    actions = ["retry_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The outbox is written by the planner only; an operator can retry, not invent messages.
        return False

    @admin.action(description="Retry the selected failed messages now")
    def retry_now(self, request: HttpRequest, queryset) -> None:  # type: ignore[no-untyped-def]
        retried = sum(message_retry_now(message=m) for m in queryset)
        self.message_user(request, f"{retried} message(s) queued again.")


@admin.register(ChannelConfig)
class ChannelConfigAdmin(admin.ModelAdmin):
    """Per-store channel settings; the start-up check validates the enabled ones."""

    list_display = ("store", "channel", "enabled", "updated_at")
    list_filter = ("channel", "enabled")
    list_select_related = ("store",)
