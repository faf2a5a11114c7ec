"""Customer-facing and operator pages."""

from django.urls import path

from aftercart.web import preferences, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("track", views.track_lookup, name="track"),
    # Tokens are signing.dumps output: URL-safe base64 and ":" (never "/"), so <str:> matches them.
    path("t/<str:token>", views.track_order, name="track-order"),
    path("t/<str:token>/choices", views.track_choice, name="track-choice"),
    # The preference page and RFC 8058 one-click unsubscribe (links.preferences_url).
    path("p/<str:token>", preferences.preferences_page, name="preferences"),
    path("p/<str:token>/save", preferences.preferences_save, name="preferences-save"),
]
