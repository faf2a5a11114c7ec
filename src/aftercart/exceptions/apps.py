from django.apps import AppConfig


class ExceptionsConfig(AppConfig):
    name = "aftercart.exceptions"
    # The label predates the package's name: it names the tables and the migration history of
    # every installation, so it stays "cases" (renaming it would orphan both).
    label = "cases"
    verbose_name = "Exceptions"

    def ready(self) -> None:
        from aftercart.exceptions import receivers
        from aftercart.orders import planner

        # Every re-projected order, not only those reaching milestones: a new scan that reaches
        # nothing new still resolves a stall. connect_projected() ignores a second registration.
        planner.connect_projected(receivers.sync_exceptions)
