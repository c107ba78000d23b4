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


class AddIndexOnline(AddIndexConcurrently):
    def _base(self, schema_editor):
        """Whose way to build: concurrently on PostgreSQL, plainly elsewhere."""
        if schema_editor.connection.vendor == "postgresql":
            return AddIndexConcurrently
        return AddIndex

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        base = self._base(schema_editor)
        base.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        base = self._base(schema_editor)
        base.database_backwards(self, app_label, schema_editor, from_state, to_state)
