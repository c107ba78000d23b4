"""The ``suqiu`` console script: Django's management commands plus Suqiu's own
(``suqiu run``, ``suqiu worker``, ``suqiu demo``, ``suqiu token create USERNAME``)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suqiu.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
