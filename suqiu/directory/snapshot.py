"""Process-local copies of rarely changing directory data, for the request hot path.

Intake asks, for every appeal: which grid holds this point, which category is this code, which
district is the default area, whose token is this and what may that user do. The answers change
only when an administrator edits the directory, yet reading them from the database cost about
half of the CPU of an intake request (bench/README.md). So each process keeps a snapshot and
checks, per use, a *version token* in the shared Django cache (file cache or Redis, shared by
all processes of a deployment):

- every save or delete of an organisation, grid or category bumps the "directory" version; of a
  user, membership or API token the "people" version (a login's ``last_login`` write does not);
  the bump is repeated after commit, so a process that rebuilt from the database before the
  commit does not keep the old data;
- a process whose snapshot was built for another version rebuilds it at its next use;
- a snapshot older than ``TTL_SECONDS`` is rebuilt anyway: changes that bypass ``save()``
  (``QuerySet.update``/bulk deletes, raw SQL) take effect within that time. Revoking a token
  through the admin or ``suqiu token revoke`` takes effect at once in the process that did it
  and within ``READ_SECONDS`` in the others.

Each process reads a version token from the shared cache at most once per ``READ_SECONDS``
(a request asks several times; with Redis each read is a round trip), and takes its own bumps
at once.

A snapshot's model instances are shared between requests: read them, never change them.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction

from suqiu.core.ids import as_id

TTL_SECONDS = 60
_KEYS = {
    "directory": "suqiu:version:directory",
    "people": "suqiu:version:people",
    "triage_model": "suqiu:version:triage_model",  # the active routing model (suqiu/triage)
}


READ_SECONDS = 1.0
# The tokens this process read last: kind -> (token, monotonic time of the read).
_read: dict[str, tuple[str, float]] = {}


def forget_versions() -> None:
    """Read every token from the shared cache at its next use (tests clear the cache)."""
    _read.clear()


def version(kind: str) -> str:
    now = time.monotonic()
    seen = _read.get(kind)
    if seen is not None and now - seen[1] < READ_SECONDS:
        return seen[0]
    key = _KEYS[kind]
    value = cache.get(key)
    if value is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        value = cache.get(key)
    if value is None:
        # A cache that keeps nothing (DummyCache) gives a new version every time: always rebuild.
        return uuid.uuid4().hex
    _read[kind] = (value, now)
    return value


def bump(kind: str) -> None:
    """Mark ``kind`` changed, now and again when the current transaction commits."""

    def _set() -> None:
        value = uuid.uuid4().hex
        cache.set(_KEYS[kind], value, timeout=None)
        _read[kind] = (value, time.monotonic())

    _set()
    transaction.on_commit(_set)


class Snapshot:
    """A value built by ``build()`` and kept until one of ``kinds`` changes or the TTL passes."""

    def __init__(self, kinds: tuple[str, ...], build: Callable[[], Any]):
        self.kinds = kinds
        self._build = build
        self._lock = threading.Lock()
        self._value: Any = None
        self._stamp: tuple[str, ...] | None = None
        self._built_at = 0.0

    def get(self) -> Any:
        # Read the versions before building: a bump during the build leaves a stale stamp, so
        # the next use rebuilds rather than keeping data older than its stamp says.
        stamp = tuple(version(k) for k in self.kinds)
        if self._stamp == stamp and time.monotonic() - self._built_at < TTL_SECONDS:
            return self._value
        with self._lock:
            value = self._build()
            self._value, self._stamp, self._built_at = value, stamp, time.monotonic()
        return value


# --- The directory: grids, categories, the default area ------------------------------------------


@dataclass
class DirectoryData:
    grids: list = field(
        default_factory=list
    )  # Grid instances (community loaded); see geo.resolve_grid
    prepared: list = field(default_factory=list)  # prepared geometries, same order
    tree: Any = None  # shapely STRtree over the grid geometries
    categories_by_code: dict = field(default_factory=dict)
    categories_by_id: dict = field(default_factory=dict)
    active_organisations: frozenset = frozenset()  # ids
    default_area: Any = None  # the top district, or None


def _build_directory() -> DirectoryData:
    from shapely import STRtree
    from shapely.geometry import shape
    from shapely.prepared import prep

    from suqiu.directory.models import Category, Grid, Organisation, OrgKind

    data = DirectoryData()
    geoms = []
    for grid in Grid.objects.exclude(boundary=None).select_related("community").order_by("pk"):
        geom = shape(grid.boundary)
        data.grids.append(grid)
        data.prepared.append(prep(geom))
        geoms.append(geom)
    data.tree = STRtree(geoms) if geoms else None
    for category in Category.objects.filter(is_active=True).order_by("pk"):
        data.categories_by_code[category.code] = category
        data.categories_by_id[category.pk] = category
    data.active_organisations = frozenset(
        Organisation.objects.filter(is_active=True).values_list("pk", flat=True)
    )
    data.default_area = (
        Organisation.objects.filter(kind=OrgKind.DISTRICT, parent__isnull=True)
        .order_by("pk")
        .first()
        or Organisation.objects.filter(kind=OrgKind.DISTRICT).order_by("pk").first()
    )
    return data


directory = Snapshot(("directory",), _build_directory)


def active_category(value):
    """An active category by id or code, from the snapshot (None when unknown)."""
    data = directory.get()
    if as_id(value) is not None:
        found = data.categories_by_id.get(as_id(value))
        if found is not None:
            return found
    if isinstance(value, bool):
        return None
    return data.categories_by_code.get(str(value))


def active_category_by_code(code: str):
    """An active category by its code only (None when unknown): for codes stored as data (a
    routing model's labels), which must not be read as ids even when they are all digits."""
    return directory.get().categories_by_code.get(str(code))


def active_category_by_id(value):
    """An active category by its id only (None when unknown)."""
    category_id = as_id(value)
    return directory.get().categories_by_id.get(category_id) if category_id else None


def default_area():
    return directory.get().default_area


def is_active_organisation(value) -> bool:
    return as_id(value) in directory.get().active_organisations


# --- People: API tokens and what their users may do -----------------------------------------------

_tokens: dict[str, tuple[tuple[str, str], float, Any]] = {}


def token_by_digest(digest: str):
    """The ``ApiToken`` (user loaded) with this digest, or None; cached per process until people or
    the directory change (the user's actor depends on both)."""
    from suqiu.directory.models import ApiToken

    stamp = (version("people"), version("directory"))
    cached = _tokens.get(digest)
    if cached is not None and cached[0] == stamp and time.monotonic() - cached[1] < TTL_SECONDS:
        return cached[2]
    token = ApiToken.objects.select_related("user").filter(digest=digest).order_by().first()
    if len(_tokens) > 10_000:
        _tokens.clear()
    _tokens[digest] = (stamp, time.monotonic(), token)
    return token
