from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "aftercart.insights"
    label = "insights"
    verbose_name = "Insights"
