"""Customer-facing and operator pages."""

from django.urls import path

from aftercart.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
]
