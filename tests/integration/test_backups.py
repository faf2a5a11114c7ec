"""Backups: taken while the app writes, restored into a fresh database, verified by refolding every
order from the restored ledger; a corrupted projection is reported."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
import uuid
from contextlib import ExitStack
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from aftercart.kernel.backups import backup_create, backup_restore, database_opened
from aftercart.orders.models import Order
from aftercart.orders.verify import projections_verify
from tests.integration.privacy_data import place

pytestmark = pytest.mark.django_db(transaction=True)

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's online backup (PostgreSQL: the test below)"
)
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore")


@pytest.fixture
def orders(api):
    return [place(api, f"{n}", email=f"c{n}@example.com", days_ago=6) for n in range(1001, 1006)]


@pytest.fixture
def alias_for():
    """Database aliases for a test (an SQLite file, a scratch PostgreSQL database), closed after it."""
    with ExitStack() as stack:
        yield lambda name: stack.enter_context(database_opened(name))


def test_the_live_projections_match_their_ledger_and_a_corrupted_row_is_reported(orders):
    report = projections_verify()
    assert report.clean and report.orders == 5
    Order.objects.filter(pk=orders[1].pk).update(stage="in_transit")
    [mismatch] = projections_verify().mismatches
    assert (mismatch.order_id, mismatch.what, mismatch.stored) == ("1002", "stage", "in_transit")
    assert mismatch.rebuilt == "post_delivery"
    with pytest.raises(CommandError, match="1 mismatch"):
        call_command("aftercart_backup", "verify")


@sqlite_only
def test_an_sqlite_backup_taken_while_the_app_writes_restores_and_verifies(
    orders, tmp_path, alias_for, capsys
):
    # The app's database as a file (the tests' own lives in memory), written to by a second thread
    # for as long as the backup runs.
    live = tmp_path / "live.sqlite3"
    backup_create(live)
    app = alias_for(live)  # what the backup reads through (its settings: the file's name)
    stop, written, failed = threading.Event(), [], []

    def write():
        # Another process's writes: its own connection, one transaction per row, as the app commits.
        db = sqlite3.connect(live, timeout=20, isolation_level=None)
        try:
            while not stop.is_set():
                db.execute(
                    "INSERT INTO orders_inbounddelivery (store_id, source, delivery_id, topic, received_at,"
                    " facts_received, facts_accepted) VALUES (?, 't', ?, '', datetime('now'), 0, 0)",
                    (orders[0].store_id, f"d{len(written)}"),
                )
                written.append(1)
        except Exception as exc:  # shown by the assertion below
            failed.append(exc)
        finally:
            db.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 20 and writer.is_alive():  # the writer is well under way
            stop.wait(0.01)
        assert not failed, failed
        backup = tmp_path / "backup.sqlite3"
        backup_create(backup, using=app)
    finally:
        stop.set()
        writer.join()
    copied = sqlite3.connect(backup).execute("SELECT count(*) FROM orders_inbounddelivery").fetchone()[0]
    assert 20 <= copied <= len(written), "a consistent moment: some writes, none half-done"

    fresh = alias_for(tmp_path / "fresh.sqlite3")
    backup_restore(backup, using=fresh)
    assert Order.objects.using(fresh).count() == 5
    assert projections_verify(using=fresh).clean

    call_command("aftercart_backup", "verify", str(backup))
    assert "Projections match the ledger: 5 orders checked" in capsys.readouterr().out
    with sqlite3.connect(backup) as db:
        db.execute(
            "UPDATE orders_shipment SET tag = 'exception' WHERE id = (SELECT min(id) FROM orders_shipment)"
        )
    with pytest.raises(CommandError, match="1 mismatch"):
        call_command("aftercart_backup", "verify", str(backup))
    assert "shipments is" in capsys.readouterr().out


@sqlite_only
def test_a_file_that_is_not_a_backup_is_refused(tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database" * 100)
    with pytest.raises(CommandError, match="not an SQLite database"):
        call_command("aftercart_backup", "verify", str(junk))
    with pytest.raises(CommandError, match="no backup at"):
        call_command("aftercart_backup", "restore", str(tmp_path / "missing"))


@postgresql_only
def test_a_postgresql_dump_restores_into_a_fresh_database_and_verifies(orders, tmp_path, capsys):
    dump = tmp_path / "aftercart.dump"
    call_command("aftercart_backup", "create", str(dump))
    assert dump.read_bytes()[:5] == b"PGDMP", "pg_dump's custom format"

    call_command("aftercart_backup", "verify", str(dump))
    assert "5 orders checked" in capsys.readouterr().out

    scratch = f"aftercart_restore_{uuid.uuid4().hex[:8]}"
    env = {"PGHOST": connection.settings_dict["HOST"] or "", "PGUSER": connection.settings_dict["USER"] or ""}
    subprocess.run(["createdb", scratch], env={**os.environ, **env}, check=True)
    try:
        with database_opened(scratch) as fresh:
            backup_restore(dump, using=fresh)
            assert Order.objects.using(fresh).count() == 5
            Order.objects.using(fresh).filter(external_id="1003").update(
                placed_at=timezone.now() - timedelta(days=1)
            )
            [mismatch] = projections_verify(using=fresh).mismatches
            assert (mismatch.order_id, mismatch.what) == ("1003", "placed_at")
    finally:
        subprocess.run(["dropdb", "--if-exists", scratch], env={**os.environ, **env}, check=True)
