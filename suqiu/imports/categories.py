"""Source category texts → Suqiu categories.

A text matches a category by code (case-insensitive), Chinese name, or English name
(case-insensitive), active categories first. A text nothing matches becomes a new, active
category under the top-level category ``IMPORTED`` ("历史导入"; created on first need), named
as the source names it, so history keeps its categories, triage and routing can learn from them,
and an administrator can later rename, move or deactivate them in the admin. With
``create=False`` an unknown text is an error for that row instead.
"""

from __future__ import annotations

import hashlib
import re

from django.db import IntegrityError, transaction

from suqiu.directory.models import Category

PARENT_CODE = "IMPORTED"
PARENT_NAME = "历史导入"
PARENT_NAME_EN = "Imported"
NAME_MAX = 120


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def new_code(text: str) -> str:
    """A stable code for a new category: ``IMP.`` and the text in capitals when it is short
    ASCII (``IMP.SEWER-ISSUES``), else ``IMP.`` and a digest of the text."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").upper()
    digest = hashlib.sha1(_key(text).encode()).hexdigest()[:10].upper()
    if slug and text.isascii():
        code = f"IMP.{slug}"
        return code if len(code) <= 40 else f"IMP.{slug[:25]}-{digest}"
    return f"IMP.{digest}"


class CategoryResolver:
    def __init__(self, *, create: bool = True):
        self.create = create
        self.created: list[str] = []
        self._index: dict[str, int] = {}
        self._parent: Category | None = None
        # Inactive first, so that active categories overwrite them: active wins a tie.
        for cat in Category.objects.order_by("is_active", "-pk").only(
            "pk", "code", "name", "name_en", "is_active"
        ):
            self._remember(cat)

    def _remember(self, cat: Category) -> None:
        for text in (cat.name_en, cat.name, cat.code):
            if text:
                self._index[_key(text)] = cat.pk

    def resolve(self, text: str) -> tuple[int | None, str | None]:
        """(category id, None) or (None, why not)."""
        text = " ".join(str(text).split())
        if not text:
            return None, None
        found = self._index.get(_key(text))
        if found is not None:
            return found, None
        if not self.create:
            return None, "unknown category (--no-create-categories)"
        if len(text) > NAME_MAX:
            return None, f"category text longer than {NAME_MAX} characters"
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
        self._index[_key(text)] = cat.pk
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
