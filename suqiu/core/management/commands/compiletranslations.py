from pathlib import Path

import polib
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from suqiu.core.commands import SuqiuCommand


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
    if written:
        # Catalogues loaded before (a command's language, whose fallback is the default
        # language) would go on without the new strings: forget them, as Django does when
        # LOCALE_PATHS changes, and load the active language again.
        from django.utils import translation
        from django.utils.translation import trans_real

        # The language activated in this thread (None: nothing, or deactivate_all()).
        language = getattr(getattr(trans_real._active, "value", None), "language", None)
        trans_real._translations = {}
        trans_real._default = None
        if callable(language):
            translation.activate(language())
    return written


class Command(SuqiuCommand):
    help = gettext_lazy("Compile the translation catalogues (.po → .mo) without GNU gettext.")

    def handle(self, *args, **opts):
        n = compile_translations(verbose=opts["verbosity"] > 1)
        self.stdout.write(_("%(n)s catalogue(s) compiled") % {"n": n})
