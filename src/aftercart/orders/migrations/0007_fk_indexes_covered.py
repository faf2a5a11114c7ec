# The ledger's store column keeps no index of its own: the unique (store, idempotency_key) index
# starts with it. Dropped by name (the same on SQLite and PostgreSQL) rather than by AlterField,
# which on SQLite would copy the whole ledger into a new table to drop one index.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_drop_fact_order_time"),
        ("stores", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="fact",
                    name="store",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="facts",
                        to="stores.store",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS orders_fact_store_id_a95e144c",
                    reverse_sql="CREATE INDEX orders_fact_store_id_a95e144c ON orders_fact (store_id)",
                ),
            ],
        ),
    ]
