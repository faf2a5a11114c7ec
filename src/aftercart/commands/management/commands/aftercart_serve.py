"""``aftercart serve``: the web app under gunicorn (``--dev`` for Django's auto-reloading server)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Aftercart over HTTP (gunicorn; --dev for the reloading development server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("AFTERCART_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("AFTERCART_WEB_WORKERS", "2")))
        parser.add_argument(
            "--dev", action="store_true", help="Django's development server with auto-reload."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["dev"]:
            call_command("runserver", opts["bind"])
            return
        gunicorn = Path(sys.executable).with_name("gunicorn")
        argv = [
            str(gunicorn),
            "aftercart.wsgi:application",
            "--bind",
            opts["bind"],
            "--workers",
            str(opts["workers"]),
            "--access-logfile",
            "-",
            "--config",
            "python:aftercart.gunicorn_conf",
        ]
        os.execv(str(gunicorn), argv)
