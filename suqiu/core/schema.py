"""Migration operations for tables that keep growing in production.

``AddIndexOnline`` adds an index without blocking writes on PostgreSQL (``CREATE INDEX
CONCURRENTLY``: intake keeps working while an upgrade builds an index over millions of appeals)
and as a plain ``AddIndex`` elsewhere (SQLite has no concurrent build and needs none). A
migration using it must say ``atomic = False``: PostgreSQL builds an index concurrently only
outside a transaction.
"""

from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations.operations import AddIndex


class AddIndexOnline(AddIndex):
    def _online(self, schema_editor) -> bool:
        return schema_editor.connection.vendor == "postgresql"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if self._online(schema_editor):
            AddIndexConcurrently.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )
        else:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if self._online(schema_editor):
            AddIndexConcurrently.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )
        else:
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def _ensure_not_in_transaction(self, schema_editor):
        AddIndexConcurrently._ensure_not_in_transaction(self, schema_editor)

    def describe(self):
        fields = ", ".join(self.index.fields)
        return (
            f"Create index {self.index.name} online on field(s) {fields} of model {self.model_name}"
        )
