from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "aftercart.stores"
    label = "stores"
    verbose_name = "Stores"
