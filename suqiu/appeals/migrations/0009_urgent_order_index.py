# The workbench list's "most urgent first" order, built without blocking intake on PostgreSQL.

from django.db import migrations, models

from suqiu.core.schema import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False  # PostgreSQL builds an index concurrently only outside a transaction

    dependencies = [
        ("appeals", "0008_first_contact_pause"),
    ]

    operations = [
        AddIndexOnline(
            model_name="appeal",
            index=models.Index(
                fields=["urgency_rank", "due_at", "created_at", "id"],
                name="appeal_urgent_order_idx",
            ),
        ),
    ]
