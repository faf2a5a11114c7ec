from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "aftercart.returns"
    label = "returns"
    verbose_name = "Returns and exchanges"
