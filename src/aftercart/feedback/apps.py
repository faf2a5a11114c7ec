from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "aftercart.feedback"
    label = "feedback"
    verbose_name = "Feedback and retention"
