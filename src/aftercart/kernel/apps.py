from django.apps import AppConfig


class KernelConfig(AppConfig):
    """The floor every app stands on: database helpers, ids, the presenter's i18n, system checks.
    It imports no app of ours."""

    name = "aftercart.kernel"
    label = "aftercart_kernel"

    def ready(self) -> None:
        from aftercart.kernel import checks  # noqa: F401  (registers the system checks)
