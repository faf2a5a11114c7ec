from django.apps import AppConfig


class ExceptionsConfig(AppConfig):
    name = "aftercart.exceptions"
    # The label predates the package's name: it names the tables and the migration history of
    # every installation, so it stays "cases" (renaming it would orphan both).
    label = "cases"
    verbose_name = "Exceptions"
