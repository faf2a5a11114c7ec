"""Customer-facing and operator pages."""

from django.urls import path

from aftercart.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("track", views.track_lookup, name="track"),
    # Tokens are signing.dumps output: URL-safe base64 and ":" (never "/"), so <str:> matches them.
    path("t/<str:token>", views.track_order, name="track-order"),
    path("t/<str:token>/choices", views.track_choice, name="track-choice"),
]
