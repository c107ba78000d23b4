from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


def compile_translations(verbose: bool = False) -> int:
    """Compile every locale's .po to .mo with polib (no GNU gettext needed on the machine).

    Only stale files are rebuilt; returns how many were written.
    """
    written = 0
    for locale_dir in settings.LOCALE_PATHS:
        for po_path in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            written += 1
            if verbose:
                print(f"compiled {po_path}")
    return written


class Command(BaseCommand):
    help = "Compile the translation catalogues (.po → .mo) without GNU gettext."

    def handle(self, *args, **opts):
        n = compile_translations(verbose=opts["verbosity"] > 1)
        self.stdout.write(f"{n} catalogue(s) compiled")
