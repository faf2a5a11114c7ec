from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from aftercart.domain.messaging import Channel
from aftercart.domain.milestones import Milestone
from aftercart.kernel.csp import csp_inline_styles
from aftercart.notifications.channel_map import channel_milestones
from aftercart.notifications.delivery import message_retry_now
from aftercart.notifications.message_templates import VARIABLES, TemplateText, preview, template_errors
from aftercart.notifications.models import (
    ChannelConfig,
    DeliveryAttempt,
    Message,
    MessageTemplate,
    Preference,
    PreferenceChange,
)
from aftercart.orders.models import Order


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
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        retried = sum(message_retry_now(message=m) for m in queryset)
        self.message_user(request, f"{retried} message(s) queued again.")


class ChannelConfigForm(forms.ModelForm):
    """The journey as checkboxes: which milestones this channel carries (none ticked and "use the
    defaults" on: the channel's default journey)."""

    use_defaults = forms.BooleanField(
        required=False,
        initial=True,
        help_text="Send the channel's default milestones (ignores the boxes below).",
    )
    journey = forms.MultipleChoiceField(
        choices=[(m.value, m.value.replace("_", " ")) for m in Milestone],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Milestones sent on this channel",
    )

    class Meta:
        model = ChannelConfig
        fields = ("store", "channel", "enabled", "settings")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance.pk is not None:
            self.fields["use_defaults"].initial = instance.milestones is None
            channel = Channel(instance.channel) if instance.channel in {c.value for c in Channel} else None
            if channel is not None:
                self.fields["journey"].initial = sorted(channel_milestones(channel, instance.milestones))

    def save(self, commit: bool = True) -> ChannelConfig:
        chosen = set(self.cleaned_data.get("journey") or ())
        self.instance.milestones = (
            None
            if self.cleaned_data.get("use_defaults")
            else [m.value for m in Milestone if m.value in chosen]
        )
        return super().save(commit=commit)


@admin.register(ChannelConfig)
class ChannelConfigAdmin(admin.ModelAdmin):
    """Per-store channel settings and journey; the start-up check validates the enabled ones."""

    form = ChannelConfigForm
    list_display = ("store", "channel", "enabled", "journey_summary", "updated_at")
    list_filter = ("channel", "enabled")
    list_select_related = ("store",)

    @admin.display(description="journey")
    def journey_summary(self, obj: ChannelConfig) -> str:
        return "defaults" if obj.milestones is None else ", ".join(obj.milestones) or "nothing"


class MessageTemplateForm(forms.ModelForm):
    """Refuses a template that cannot render, with the error on its field."""

    class Meta:
        model = MessageTemplate
        fields = ("store", "channel", "milestone", "locale", "subject", "body")
        widgets = {"milestone": forms.Select(choices=[(m.value, m.value) for m in Milestone])}
        help_texts = {"body": "Variables: " + ", ".join("{{ " + v + " }}" for v in VARIABLES)}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["locale"] = (data.get("locale") or "").strip().lower().replace("_", "-")
        errors = template_errors(
            str(data.get("channel") or ""),
            str(data.get("milestone") or ""),
            str(data.get("subject") or ""),
            str(data.get("body") or ""),
        )
        for field, message in errors.items():
            self.add_error(field if field in self.fields else None, message)
        return data


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    """A store's wording per milestone, channel and language, with a preview on a real order."""

    form = MessageTemplateForm
    list_display = ("store", "channel", "milestone", "locale", "updated_at", "preview_link")
    list_filter = ("channel", "milestone", "store")
    list_select_related = ("store",)

    @admin.display(description="preview")
    def preview_link(self, obj: MessageTemplate) -> str:
        url = reverse("admin:notifications_messagetemplate_preview", args=[obj.pk])
        return format_html('<a href="{}">Preview</a>', url)

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/preview/",
                # The e-mail's own styles, in the sandboxed frame that inherits this page's policy.
                self.admin_site.admin_view(csp_inline_styles(self.preview_view)),
                name="notifications_messagetemplate_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The template rendered against one of the store's orders (its latest, or ``?order=``)."""
        template = get_object_or_404(MessageTemplate.objects.select_related("store"), pk=pk)
        if not self.has_view_permission(request, template):
            raise PermissionDenied
        number = request.GET.get("order", "").strip()[:64]
        orders = Order.objects.select_related("store").filter(store=template.store)
        order = (
            orders.filter(number__in={number, "#" + number.lstrip("#"), number.lstrip("#")}).first()
            or orders.filter(external_id=number).first()
            if number
            else orders.order_by("-placed_at").first()
        )
        rendered = (
            preview(
                order=order,
                channel=template.channel,
                milestone=template.milestone,
                language=template.locale,
                draft=TemplateText(template.subject, template.body),
            )
            if order is not None
            else None
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Preview: {template}",
            "template": template,
            "order": order,
            "number": number,
            "rendered": rendered,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/notifications/messagetemplate/preview.html", context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Consent records are written by the customer's own actions only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Preference)
class PreferenceAdmin(ReadOnlyAdmin):
    list_display = ("store", "channel", "address", "milestone", "opted_in", "source", "changed_at")
    list_filter = ("channel", "opted_in", "source", "store")
    search_fields = ("address",)


@admin.register(PreferenceChange)
class PreferenceChangeAdmin(ReadOnlyAdmin):
    list_display = ("at", "store", "channel", "address", "milestone", "opted_in", "source", "detail")
    list_filter = ("channel", "opted_in", "source", "store")
    search_fields = ("address",)
