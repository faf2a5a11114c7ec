# A message's store and order columns keep no indexes of their own: message_recipient_recent
# starts with the store and message_order_channel with the order. Dropped by name (the same on
# SQLite and PostgreSQL) rather than by AlterField, which on SQLite would copy the whole outbox
# into a new table to drop two indexes.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_journey_and_templates"),
        ("orders", "0006_drop_fact_order_time"),
        ("stores", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="message",
                    name="order",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="orders.order",
                    ),
                ),
                migrations.AlterField(
                    model_name="message",
                    name="store",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="stores.store",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS notifications_message_order_id_439a1f31",
                    reverse_sql=(
                        "CREATE INDEX notifications_message_order_id_439a1f31 "
                        "ON notifications_message (order_id)"
                    ),
                ),
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS notifications_message_store_id_643f5a99",
                    reverse_sql=(
                        "CREATE INDEX notifications_message_store_id_643f5a99 "
                        "ON notifications_message (store_id)"
                    ),
                ),
            ],
        ),
    ]
