"""The ``suqiu`` console script: Django's management commands plus Suqiu's own
(``suqiu run``, ``suqiu worker``, ``suqiu demo``, ``suqiu token create USERNAME``)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suqiu.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings, which check the environment
    except ImproperlyConfigured as exc:
        # A malformed variable (SUQIU_DUPLICATES='{"radius": 3}'): its message, no traceback.
        sys.stderr.write(f"Suqiu cannot start: {exc}\n")
        sys.exit(1)
    from django.db.utils import OperationalError, ProgrammingError

    try:
        execute_from_command_line(sys.argv)
    except (OperationalError, ProgrammingError):
        # A command run on a database that was never set up fails deep inside with "no such
        # table": say what to do instead.
        where = _unmigrated()
        if where:
            sys.stderr.write(
                f"The database ({where}) is not set up yet: run `suqiu migrate` first "
                "(`make run` does it for you).\n"
            )
            sys.exit(1)
        raise


def _unmigrated() -> str:
    """The database's name when it has migrations not applied yet, else ""."""
    try:
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return str(connection.settings_dict.get("NAME") or connection.vendor)
    except Exception:  # noqa: BLE001 - the original error is the one worth showing
        return ""
    return ""


if __name__ == "__main__":
    main()
