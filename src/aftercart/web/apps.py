from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "aftercart.web"
    label = "web"
    verbose_name = "Customer and operator pages"
