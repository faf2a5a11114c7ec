from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "aftercart.orders"
    label = "orders"
    verbose_name = "Orders and the fact ledger"
