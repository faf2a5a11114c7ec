from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "aftercart.cases"
    label = "cases"
    verbose_name = "Exception cases"

    def ready(self) -> None:
        from aftercart.cases import receivers
        from aftercart.orders import planner

        # Every re-projected order, not only those reaching milestones: a new scan that reaches
        # nothing new still resolves a stall. connect_projected() ignores a second registration.
        planner.connect_projected(receivers.sync_exceptions)
