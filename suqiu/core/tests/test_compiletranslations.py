"""`suqiu compiletranslations` compiles .po catalogues to .mo without GNU gettext."""

from __future__ import annotations

import gettext
import os
from io import StringIO

import polib
from django.core.management import call_command
from django.utils import translation

MSGID = "Suqiu test greeting"
MSGSTR = "诉求测试问候"


def write_po(path):
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "zh_Hans"}
    po.append(polib.POEntry(msgid=MSGID, msgstr=MSGSTR))
    po.append(polib.POEntry(msgid="Untranslated", msgstr=""))
    path.parent.mkdir(parents=True)
    po.save(str(path))


def compile_all() -> str:
    out = StringIO()
    call_command("compiletranslations", stdout=out)
    return out.getvalue().strip()


def test_compiles_a_catalogue_into_a_loadable_mo(settings, tmp_path):
    po_path = tmp_path / "zh_Hans" / "LC_MESSAGES" / "django.po"
    write_po(po_path)
    settings.LOCALE_PATHS = [tmp_path]

    assert compile_all() == "1 catalogue(s) compiled"
    mo_path = po_path.with_suffix(".mo")
    with mo_path.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    assert catalogue.gettext(MSGID) == MSGSTR
    assert catalogue.gettext("Untranslated") == "Untranslated"

    # Django finds it through LOCALE_PATHS (changing the setting reset its catalogue cache).
    with translation.override("zh-hans"):
        assert translation.gettext(MSGID) == MSGSTR
    with translation.override("en"):
        assert translation.gettext(MSGID) == MSGID


def test_only_stale_catalogues_are_rebuilt(settings, tmp_path):
    po_path = tmp_path / "zh_Hans" / "LC_MESSAGES" / "django.po"
    write_po(po_path)
    settings.LOCALE_PATHS = [tmp_path]
    assert compile_all() == "1 catalogue(s) compiled"
    assert compile_all() == "0 catalogue(s) compiled"
    mo = po_path.with_suffix(".mo")
    later = mo.stat().st_mtime + 10
    os.utime(po_path, (later, later))
    assert compile_all() == "1 catalogue(s) compiled"


def test_nothing_to_do_without_catalogues(settings, tmp_path):
    settings.LOCALE_PATHS = [tmp_path]
    assert compile_all() == "0 catalogue(s) compiled"
