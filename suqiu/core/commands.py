"""The language of Suqiu's commands (``suqiu import``, ``suqiu triage`` ...) and their base class.

A command speaks the operator's language, chosen as gettext programs choose it:
``SUQIU_CLI_LANGUAGE`` (``zh-hans`` or ``en``) when set; else the first of ``LANGUAGE``,
``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that names a language (``zh_CN.UTF-8`` → Chinese,
``en_US.UTF-8`` or any other language → English); a machine whose locale names none
(``C.UTF-8``, ``POSIX``, nothing set: servers and containers) gets the product's default,
Chinese. Help, messages, errors and the service refusals a command passes on follow it; logs
stay English, and machine-read output (``triage evaluate``'s JSON line, CSV) does not change.
"""

from __future__ import annotations

import os
import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

LANGUAGE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
NO_LANGUAGE = {"", "c", "posix"}


def cli_language(environ=None) -> str:
    """``zh-hans`` or ``en``: see the module's docstring."""
    env = os.environ if environ is None else environ
    explicit = (env.get("SUQIU_CLI_LANGUAGE") or "").strip()
    if explicit:
        language = _language_of(explicit)
        if language is None:
            raise CommandError(
                f"SUQIU_CLI_LANGUAGE={explicit!r}: use zh-hans (Chinese) or en (English)."
            )
        return language
    for name in LANGUAGE_VARIABLES:
        value = (env.get(name) or "").strip()
        if name == "LANGUAGE":  # a priority list, "zh_CN:en"
            value = value.split(":")[0]
        if not value:
            continue
        return _language_of(value) or settings.LANGUAGE_CODE
    return settings.LANGUAGE_CODE


def display_width(text: str) -> int:
    """Columns a terminal gives the text: two for a Chinese character (to align labels)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def aligned(rows: list[tuple[str, str]], *, after: str = "", gap: int = 1) -> list[str]:
    """``label{after} value`` lines whose values start in one column, ``gap`` columns after the
    widest label (counted as a terminal shows them: a Chinese label is twice as wide)."""
    heads = [f"{label}{after}" for label, _value in rows]
    column = max((display_width(h) for h in heads), default=0) + gap
    return [
        f"{head}{' ' * (column - display_width(head))}{value}"
        for head, (_label, value) in zip(heads, rows, strict=True)
    ]


def _language_of(value: str) -> str | None:
    """The language a locale or language name means; None for C/POSIX (no language)."""
    name = value.split(".")[0].split("@")[0].strip().lower().replace("_", "-")
    if name in NO_LANGUAGE:
        return None
    return "zh-hans" if name.startswith("zh") else "en"


class SuqiuCommand(BaseCommand):
    """A management command that speaks ``cli_language()``: its help (parsed on the command
    line or by ``call_command``) and everything it prints or raises."""

    def run_from_argv(self, argv):
        with translation.override(_language_or_exit(self)):
            return super().run_from_argv(argv)

    def create_parser(self, prog_name, subcommand, **kwargs):
        with translation.override(_language_or_exit(self)):
            # argparse wants the description as a str, not gettext_lazy's proxy.
            lazy = self.help
            self.help = str(lazy) if lazy else lazy
            try:
                return super().create_parser(prog_name, subcommand, **kwargs)
            finally:
                self.help = lazy

    def execute(self, *args, **options):
        with translation.override(_language_or_exit(self)):
            return super().execute(*args, **options)


def _language_or_exit(command: BaseCommand) -> str:
    try:
        return cli_language()
    except CommandError as exc:
        # Raised before the command runs: say it like any other command error.
        command.stderr.write(f"CommandError: {exc}")
        raise SystemExit(1) from None
