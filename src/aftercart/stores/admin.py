from django.contrib import admin

from aftercart.stores.models import ApiKey, Store


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at")


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "country", "timezone", "default_locale")
    search_fields = ("name", "slug")
    inlines = [ApiKeyInline]
