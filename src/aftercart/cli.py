"""The ``aftercart`` console command: Django's management commands under one name.

``aftercart serve`` runs the web server, ``aftercart worker`` the background worker, and every other
word is a management command (``aftercart migrate``, ``aftercart import olist DIR``, ...).
"""

from __future__ import annotations

import os
import sys

ALIASES = {
    "serve": "aftercart_serve",
    "worker": "aftercart_worker",
    "import": "aftercart_import",
    "demo": "aftercart_demo",
    "bench": "aftercart_bench",
    "rebuild": "aftercart_rebuild",
    "eta": "aftercart_eta",
    "deliver": "aftercart_deliver",
    "sweep": "aftercart_sweep",
    "journeys": "aftercart_journeys",
    "packing-slips": "aftercart_packing_slips",
    "inbox": "aftercart_inbox",
}


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``aftercart`` command."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftercart.settings")
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and args[1] in ALIASES:
        args[1] = ALIASES[args[1]]
    args[0] = "aftercart"
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
