"""Benchmarks of Aftercart's hot paths, run with ``aftercart bench <name>``.

Each benchmark is a module (or a package, like ``ingest``) here with a pure-ish ``run_*`` function
that measures against whatever database Django is connected to (tests call it on the test
database), plus the machinery below that the command uses to give every run a database of its
own: a temporary SQLite file or a temporary PostgreSQL database, migrated from scratch, measured in
a child process, then thrown away. A child process because Django reads ``DATABASES`` once, at
start-up; it is also what makes the reported peak memory that of the measurement alone.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

#: Environment variable the child process finds its temporary database in (read by settings.py).
DATABASE_ENV = "DATABASE_URL"


class Reporter:
    """Progress of a benchmark's phases. The default reports nothing; the command draws a bar."""

    def phase(self, description: str, total: int | None) -> None:
        """A new phase starts (``total`` units of work, or unknown)."""

    def advance(self, n: int) -> None:
        """``n`` more units of the current phase are done."""

    def close(self) -> None:
        """The benchmark is over."""


class RichReporter(Reporter):
    """A rich progress bar on stderr, one line per phase; silent when stderr is not a terminal."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        console = Console(stderr=True)
        self._progress = Progress(
            TextColumn("{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
        )
        self._progress.start()
        self._task: Any = None

    def phase(self, description: str, total: int | None) -> None:
        """Finish the previous bar and start one for this phase."""
        if self._task is not None:
            task = self._progress.tasks[-1]
            self._progress.update(self._task, total=task.completed)
        self._task = self._progress.add_task(description, total=total)

    def advance(self, n: int) -> None:
        """Move the current bar."""
        if self._task is not None:
            self._progress.advance(self._task, n)

    def close(self) -> None:
        """Stop drawing."""
        self._progress.stop()


def database_label(url: str | None) -> str:
    """ "sqlite" or "postgresql" for a database URL (``None`` means the default, SQLite)."""
    if not url:
        return "sqlite"
    scheme = urlsplit(url).scheme.split("+")[0]
    if scheme in ("postgres", "postgresql", "pgsql"):
        return "postgresql"
    if scheme == "sqlite":
        return "sqlite"
    raise ValueError(f"unsupported database URL scheme {scheme!r}: use postgresql://... or none for SQLite")


@contextmanager
def temporary_database(server_url: str | None) -> Iterator[str]:
    """Yield the URL of a new, empty database that is deleted afterwards.

    Without ``server_url`` (or with a ``sqlite:`` one): a SQLite file in a temporary folder (which
    ``TMPDIR`` chooses). With a PostgreSQL URL: ``aftercart_bench_<random>`` created on that server
    through the database the URL names (e.g. ``postgres``), dropped at the end even if the run fails.
    """
    if database_label(server_url) == "sqlite":
        with tempfile.TemporaryDirectory(prefix="aftercart-bench-") as folder:
            yield f"sqlite:///{os.path.join(folder, 'bench.sqlite3')}"
        return
    import psycopg
    from psycopg import sql

    assert server_url is not None
    name = f"aftercart_bench_{secrets.token_hex(4)}"
    parts = urlsplit(server_url)
    bench_url = urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield bench_url
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            # FORCE: a child killed mid-run may leave a connection behind.
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def run_child(argv: Sequence[str], database_url: str, var_dir: str) -> dict[str, Any]:
    """Run ``aftercart <argv>`` in a child process on ``database_url`` and return the JSON object it
    prints on stdout. Its stderr (the progress bar) goes straight to ours.

    The child inherits this process's CPU affinity, so ``taskset -c 1 aftercart bench ...`` pins the
    measurement too.
    """
    env = dict(os.environ)
    env[DATABASE_ENV] = database_url
    # Keep the user's ./var untouched, and measure without DEBUG's query log.
    env["AFTERCART_VAR_DIR"] = var_dir
    env["AFTERCART_DEBUG"] = "0"
    env.setdefault("DJANGO_SETTINGS_MODULE", "aftercart.settings")
    command = [sys.executable, "-m", "aftercart.cli", *argv]
    completed = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"the benchmark process failed (exit status {completed.returncode})")
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    if not lines:
        raise RuntimeError("the benchmark process printed no result")
    return json.loads(lines[-1])
