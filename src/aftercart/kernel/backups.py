"""Backups of the database, taken and restored with each engine's own tool (docs/backups.md).

SQLite: :meth:`sqlite3.Connection.backup`, the online backup API. It copies the database page by
page inside one read transaction, so what it writes is the database as of one moment, whatever
the web server and the worker write meanwhile (in WAL mode writers do not wait for it). Copying
the file instead could catch it between a write to the WAL and its checkpoint.

PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot, taken while the app runs) and
``pg_restore --clean --if-exists --single-transaction``. The client tools must be at least as new
as the server (pg_dump refuses to dump a newer server); Aftercart runs them from ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connections
from django.db.utils import load_backend


class BackupError(RuntimeError):
    """A backup or restore that could not be done, and why (shown to the operator as is)."""


def _settings(using: str) -> dict[str, Any]:
    return dict(connections[using].settings_dict)


def vendor(using: str = "default") -> str:
    """``sqlite`` or ``postgresql``."""
    return connections[using].vendor


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    # libpq reads these; the password never appears on a command line (ps shows those).
    env = dict(os.environ)
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[name] = str(db[key])
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    if shutil.which(args[0]) is None:
        raise BackupError(f"{args[0]} is not installed (PostgreSQL client tools, version ≥ the server's)")
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip() or done.returncode}")


def _connect(name: str | Path) -> sqlite3.Connection:
    # A "file:" name is a URI (the test database, in memory and shared); anything else a path.
    return sqlite3.connect(str(name), uri=str(name).startswith("file:"))


def _sqlite_copy(source: str | Path, target: str | Path) -> None:
    src, dst = _connect(source), _connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def backup_create(path: Path, *, using: str = "default") -> None:
    """Write a backup of the database ``using`` to ``path`` while the app keeps running."""
    db = _settings(using)
    path.parent.mkdir(parents=True, exist_ok=True)
    if vendor(using) == "sqlite":
        if path.exists():
            path.unlink()  # the backup API writes into a database: start from none
        _sqlite_copy(db["NAME"], path)
        return
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={path}", str(db["NAME"])], _pg_env(db))


def _check_sqlite(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (result,) = conn.execute("PRAGMA integrity_check").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an SQLite database: {exc}") from None
    if result != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {result}")


def backup_restore(path: Path, *, using: str = "default") -> None:
    """Replace the database ``using`` with the backup at ``path``. Stop the web server and the
    worker first: what they write meanwhile is lost, and they would keep stale caches."""
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    db = _settings(using)
    connections[using].close()
    if vendor(using) == "sqlite":
        _check_sqlite(path)
        _sqlite_copy(path, db["NAME"])
        return
    _run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", f"--dbname={db['NAME']}", str(path)],
        _pg_env(db),
    )  # fmt: skip


@contextmanager
def database_opened(name: str | Path, *, like: str = "default") -> Iterator[str]:
    """A database alias, in this thread, for the database ``name`` on ``like``'s engine and server
    (an SQLite path, a PostgreSQL database name); closed and forgotten after the block."""
    alias = f"db_{uuid.uuid4().hex[:8]}"
    wrapper = load_backend(_settings(like)["ENGINE"]).DatabaseWrapper(
        {**_settings(like), "NAME": str(name)}, alias
    )
    connections[alias] = wrapper
    try:
        yield alias
    finally:
        wrapper.close()
        del connections[alias]


@contextmanager
def backup_opened(path: Path, *, using: str = "default") -> Iterator[str]:
    """The backup at ``path`` as a database alias to read, for the duration of the block: restored
    into a scratch database (an SQLite file in a temporary folder; a PostgreSQL database next to
    ``using``'s), dropped afterwards. The backup itself is never opened for writing."""
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    db = _settings(using)
    if vendor(using) == "sqlite":
        _check_sqlite(path)
        folder = Path(tempfile.mkdtemp(prefix="aftercart-verify-"))
        try:
            _sqlite_copy(path, folder / "verify.sqlite3")
            _check_sqlite(folder / "verify.sqlite3")
            with database_opened(folder / "verify.sqlite3", like=using) as alias:
                yield alias
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    scratch = f"{db['NAME']}_verify_{uuid.uuid4().hex[:8]}"
    _run(["createdb", "--template=template0", scratch], _pg_env(db))
    try:
        _run(
            ["pg_restore", "--no-owner", "--single-transaction", f"--dbname={scratch}", str(path)],
            _pg_env(db),
        )
        with database_opened(scratch, like=using) as alias:
            yield alias
    finally:
        _run(["dropdb", "--if-exists", scratch], _pg_env(db))
