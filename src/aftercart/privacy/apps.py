from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "aftercart.privacy"
    label = "privacy"
    verbose_name = "Privacy"
