from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "aftercart.support"
    label = "support"
    verbose_name = "Support conversations"
