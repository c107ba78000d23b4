"""Source category texts → Suqiu categories.

A text matches a category by code (case-insensitive), Chinese name, or English name
(case-insensitive), active categories first. A text nothing matches becomes a new, active
category under the top-level category ``IMPORTED`` ("历史导入"; created on first need), named
as the source names it, so history keeps its categories, triage and routing can learn from them,
and an administrator can later rename, move or deactivate them in the admin. With
``create=False`` an unknown text is an error for that row instead.

A *category map* (``--categories FILE`` or a mapping file's ``categories`` table) sends source
texts to existing categories by code before any of that: "Pothole" → ``ROAD.POTHOLE``, so that a
city's history lands in its own category tree instead of under ``IMPORTED``. Every code in the
map must exist (active or not), or the import stops before it writes anything.
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from suqiu.directory.models import Category
from suqiu.imports.presets import MappingError, read_bytes

PARENT_CODE = "IMPORTED"
PARENT_NAME = "历史导入"
PARENT_NAME_EN = "Imported"
NAME_MAX = 120


def name_key(text: str) -> str:
    """A source's name as compared with ours: spaces collapsed, case folded."""
    return " ".join(text.split()).casefold()


def new_code(text: str) -> str:
    """A stable code for a new category: ``IMP.`` and the text in capitals when it is short
    ASCII (``IMP.SEWER-ISSUES``), else ``IMP.`` and a digest of the text."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").upper()
    digest = hashlib.sha1(name_key(text).encode()).hexdigest()[:10].upper()
    if slug and text.isascii():
        code = f"IMP.{slug}"
        return code if len(code) <= 40 else f"IMP.{slug[:25]}-{digest}"
    return f"IMP.{digest}"


def add_to_map(into: dict[str, str], text, code, *, where: str) -> None:
    """Adds one source text → code pair to a category map; MappingError for a text mapped twice
    to different codes. A pair with an empty text or code maps nothing (a line of the template
    ``--list-categories`` writes that was left as it is)."""
    text, code = " ".join(str(text).split()), str(code).strip()
    if not text or not code:
        return
    key = name_key(text)
    if into.get(key, code) != code:
        raise MappingError(
            _("%(where)s: %(text)r is mapped to both %(one)s and %(other)s")
            % {"where": where, "text": text, "one": into[key], "other": code}
        )
    into[key] = code


def load_category_map(path: Path | str, into: dict[str, str]) -> None:
    """Adds a CSV category map to ``into``: a header with the columns ``source`` and ``code``,
    then one source text and the code of the Suqiu category it becomes per line (other columns
    are ignored, so the template ``suqiu import appeals FILE --list-categories`` writes can be
    edited and given back)."""
    path = Path(path)
    raw = read_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise MappingError(
                _("%(name)s: neither UTF-8 nor GB18030") % {"name": path.name}
            ) from exc
    rows = csv.DictReader(text.splitlines())
    header = [(h or "").strip() for h in rows.fieldnames or []]
    if "source" not in header or "code" not in header:
        raise MappingError(
            _("%(name)s: needs a header with the columns source and code") % {"name": path.name}
        )
    rows.fieldnames = header
    for line, row in enumerate(rows, start=2):
        where = _("%(name)s line %(line)s") % {"name": path.name, "line": line}
        add_to_map(into, row.get("source") or "", row.get("code") or "", where=where)


class CategoryResolver:
    def __init__(self, *, create: bool = True, category_map: dict[str, str] | None = None):
        self.create = create
        self.created: list[str] = []
        self.last_by_map = False  # whether the last ``resolve`` found its text in the map
        self._index: dict[str, int] = {}
        self.codes: dict[int, str] = {}  # id → code of every category known
        self._parent: Category | None = None
        # Inactive first, so that active categories overwrite them: active wins a tie.
        for cat in Category.objects.order_by("is_active", "-pk").only(
            "pk", "code", "name", "name_en", "is_active"
        ):
            self._remember(cat)
        self._mapped: dict[str, int] = {}
        if category_map:
            by_code = dict(
                Category.objects.filter(code__in=set(category_map.values())).values_list(
                    "code", "pk"
                )
            )
            unknown = sorted(set(category_map.values()) - set(by_code))
            if unknown:
                codes = ", ".join(unknown[:10])
                if len(unknown) > 10:
                    codes += " " + _("… %(n)s more") % {"n": len(unknown) - 10}
                raise MappingError(
                    _("the category map names codes no category has: %(codes)s") % {"codes": codes}
                )
            self._mapped = {key: by_code[code] for key, code in category_map.items()}

    def _remember(self, cat: Category) -> None:
        self.codes[cat.pk] = cat.code
        for text in (cat.name_en, cat.name, cat.code):
            if text:
                self._index[name_key(text)] = cat.pk

    def lookup(self, text: str) -> tuple[int | None, str]:
        """(category id or None, how: "map", "name" or "new") without creating anything."""
        key = name_key(text)
        if key in self._mapped:
            return self._mapped[key], "map"
        if key in self._index:
            return self._index[key], "name"
        return None, "new"

    def resolve(self, text: str) -> tuple[int | None, str | None]:
        """(category id, None) or (None, why not)."""
        text = " ".join(str(text).split())
        if not text:
            return None, None
        found, how = self.lookup(text)
        self.last_by_map = how == "map"
        if found is not None:
            return found, None
        if not self.create:
            return None, _("unknown category (--no-create-categories)")
        if len(text) > NAME_MAX:
            return None, _("category text longer than %(n)s characters") % {"n": NAME_MAX}
        cat = self._create(text)
        return cat.pk, None

    def _create(self, text: str) -> Category:
        parent = self._parent_category()
        code = new_code(text)
        try:
            with transaction.atomic():
                cat = Category.objects.create(
                    code=code,
                    name=text,
                    name_en=text if text.isascii() else "",
                    parent=parent,
                )
            self.created.append(text)
        except IntegrityError:
            # Another import created it a moment ago (or an unrelated category has the code).
            cat = Category.objects.get(code=code)
        self._remember(cat)
        self._index[name_key(text)] = cat.pk
        return cat

    def _parent_category(self) -> Category:
        if self._parent is None:
            self._parent = Category.objects.filter(code=PARENT_CODE).first()
            if self._parent is None:
                try:
                    with transaction.atomic():
                        self._parent = Category.objects.create(
                            code=PARENT_CODE, name=PARENT_NAME, name_en=PARENT_NAME_EN
                        )
                except IntegrityError:
                    self._parent = Category.objects.get(code=PARENT_CODE)
        return self._parent
