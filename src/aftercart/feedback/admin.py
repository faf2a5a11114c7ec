"""The store's feedback settings and placements, edited in the admin."""

from __future__ import annotations

from django.contrib import admin

from aftercart.feedback.models import FeedbackSettings, Placement, Survey


@admin.register(FeedbackSettings)
class FeedbackSettingsAdmin(admin.ModelAdmin):
    list_display = ("store", "scale", "survey_delay_hours", "onboarding_delay_hours", "replenishment_enabled")


@admin.register(Placement)
class PlacementAdmin(admin.ModelAdmin):
    list_display = ("store", "slot", "kind", "title", "active", "holdout_share")
    list_filter = ("slot", "kind", "active")


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("ref", "store", "order", "about", "status", "score", "reason", "theme", "answered_at")
    list_filter = ("status", "about", "scale")
    readonly_fields = [f.name for f in Survey._meta.fields]
