from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "aftercart.claims"
    label = "claims"
    verbose_name = "Claims and warranties"
