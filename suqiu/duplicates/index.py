"""The duplicate index: terms of an appeal, their keys, the look-up, exact similarity.

Design (see ARCHITECTURE.md, "Duplicates"):

- **Terms.** An appeal's terms are its content words (``core.text.key_terms`` of title and
  description) plus building/unit numbers ("3栋", "2单元"), which jieba splits apart. Title terms
  come first, then the description's longest ones; at most ``terms_per_appeal`` are indexed, so
  a long letter costs as much as a short one.
- **Keys.** A posting is ``hash(term, area id)`` (signed 32 bits) → appeal id. The place is in
  the key: a look-up only ever meets appeals of the same community, and a term common in one
  community is not common in the whole city. An appeal with coordinates looks up its own area
  and the communities of every grid within ``radius_m`` of its point, so a neighbour across a
  community border is found too.
- **Document-frequency cut-off.** Each key is read with ``LIMIT max_postings + 1``; a key with
  more postings than that is a word everybody in that community uses and is ignored. The work
  per check is bounded by (terms × areas × max_postings) index entries, whatever the size of
  the index: sub-linear.
- **Known-common keys.** A key found too common stays too common for a while (an area's
  everyday words only gather postings until the window prunes them): each process remembers it
  for ``COMMON_TTL`` seconds and does not read its postings again, so a check reads only the
  postings of its telling terms.
- **Exact similarity** on the few candidates (sharing at least ``min_shared_terms`` terms; at
  most ``max_loaded``, best shared-term score first): the mean of the Ochiai (cosine) coefficients of their character-bigram sets and of
  their indexed term sets; robust to reordering and rewording, 1.0 for the same text.

Keys are stable across processes and Python versions (blake2b, not ``hash``).
"""

from __future__ import annotations

import hashlib
import math
import re
import struct
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from suqiu.appeals.models import reporter_identity
from suqiu.core.text import INTAKE_WORDS, normalise, words
from suqiu.duplicates.conf import DEFAULTS


def config() -> dict:
    """``settings.SUQIU_DUPLICATES`` (from the environment variable of that name) over the
    defaults (``conf.DEFAULTS``)."""
    return {**DEFAULTS, **getattr(settings, "SUQIU_DUPLICATES", {})}


_NUMBERED = re.compile(r"\d+\s*(?:栋|幢|座|号楼|号|楼|单元|层|室|路|街|巷|弄|期|区)")
_FLAT = re.compile(r"[^\u3400-\u9fffa-z0-9]+")


def text_of(title: str, description: str) -> str:
    return f"{title or ''}\n{description or ''}"


def terms_of(title: str, description: str) -> list[str]:
    """The appeal's terms, most telling first: numbered places, title words, then the
    description's words, longest first (ties in text order)."""
    out: dict[str, None] = {}
    for m in _NUMBERED.finditer(normalise(text_of(title, description))):
        out.setdefault(m.group(0).replace(" ", ""), None)
    for w in words(title):
        if _is_key(w):
            out.setdefault(w, None)
    body = [w for w in words(description) if _is_key(w)]
    order = {w: i for i, w in reversed(list(enumerate(body)))}
    for w in sorted(set(body), key=lambda w: (-len(w), order[w])):
        out.setdefault(w, None)
    return list(out)


def _is_key(word: str) -> bool:
    """The rule of ``core.text.key_terms``, per word; the words of intake (``INTAKE_WORDS``:
    every grid report says 网格 巡查 上报) are not keys."""
    return len(word) >= (2 if "\u3400" <= word[0] <= "\u9fff" else 3) and word not in INTAKE_WORDS


def term_key(term: str, area_id: int) -> int:
    digest = hashlib.blake2b(f"{area_id}\x1f{term}".encode(), digest_size=4).digest()
    return struct.unpack("<i", digest)[0]


def pack_keys(keys: list[int]) -> bytes:
    return struct.pack(f"<{len(keys)}i", *keys)


def unpack_keys(data: bytes | memoryview) -> list[int]:
    data = bytes(data)
    return list(struct.unpack(f"<{len(data) // 4}i", data))


def flat_text(title: str, description: str) -> str:
    """The text as compared for exact repeats: normalised, without spaces or punctuation."""
    return _FLAT.sub("", normalise(text_of(title, description)))


def repeat_key(appeal) -> int | None:
    """Hash of (reporter, normalised text): the same person sending the same words again.
    The reporter is the signed-in user, else the phone number; None when neither is known."""
    who = reporter_identity(appeal.reporter_id, appeal.reporter_phone)
    if not who:
        return None
    flat = flat_text(appeal.title, appeal.description)
    digest = hashlib.blake2b(f"{who}\x1f{flat}".encode(), digest_size=8).digest()
    return struct.unpack("<q", digest)[0]


# --- Place ---------------------------------------------------------------------------------------

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def nearby_areas(lat: float | None, lon: float | None, area_id: int, radius_m: float) -> list[int]:
    """The appeal's own area, plus the communities of all grids within ``radius_m`` of the point
    (from the process's directory snapshot: no query)."""
    areas = [area_id]
    if lat is None or lon is None:
        return areas
    from shapely.geometry import box

    from suqiu.directory import snapshot

    data = snapshot.directory.get()
    if data.tree is None:
        return areas
    dlat = radius_m / 111_320.0
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    probe = box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)
    for index in data.tree.query(probe):
        grid = data.grids[int(index)]
        if data.prepared[int(index)].intersects(probe) and grid.community_id not in areas:
            areas.append(grid.community_id)
    return areas


# --- Similarity ----------------------------------------------------------------------------------


def _ochiai(a: set, b: set) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def similarity(bigrams_a: set, keys_a: set, bigrams_b: set, keys_b: set) -> float:
    """The mean of the Ochiai coefficients of two texts' character-bigram sets and of their
    indexed term sets (as keys of one area, so a candidate's terms come from its index entry
    without segmenting its text again). 1.0 for the same text."""
    return round((_ochiai(bigrams_a, bigrams_b) + _ochiai(keys_a, keys_b)) / 2, 4)


# --- Storage -------------------------------------------------------------------------------------
# Intake writes an entry and its postings and reads repeats on every appeal: plain SQL here (one
# statement on PostgreSQL for the writes), which costs a fraction of building model instances.
# Not ``core.rows.insert_rows``: its ``executemany`` sends one INSERT per posting, 16 per appeal
# (measured: 261 instead of 302 appeals/s in bench/intake.py).


def insert_entry(*, appeal_id: int, area_id: int, created_at, repeat_key, keys: list[int]):
    """Index an appeal: its ``DuplicateEntry`` and one ``DuplicateTerm`` per key."""
    entry = connection.ops.quote_name("duplicates_duplicateentry")
    term = connection.ops.quote_name("duplicates_duplicateterm")
    created = connection.ops.adapt_datetimefield_value(created_at)
    packed = pack_keys(keys)
    insert_entry_sql = (
        f"INSERT INTO {entry} (appeal_id, area_id, created_at, expires_at, repeat_key, keys) "
        "VALUES (%s, %s, %s, NULL, %s, %s)"
    )
    params = [appeal_id, area_id, created, repeat_key, packed]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH e AS ({insert_entry_sql}) "
                f"INSERT INTO {term} (key, appeal_id) "
                "SELECT k, %s FROM unnest(%s::integer[]) AS k",
                [*params, appeal_id, keys],
            )
            return
        cursor.execute(insert_entry_sql, params)
        if keys:
            cursor.execute(
                f"INSERT INTO {term} (key, appeal_id) VALUES "
                + ", ".join(["(%s, %s)"] * len(keys)),
                [v for k in keys for v in (k, appeal_id)],
            )


@dataclass
class Entry:
    """An appeal's index entry, to be written by ``insert_entries``."""

    appeal_id: int
    area_id: int
    created_at: object
    expires_at: object
    repeat_key: int | None
    keys: list[int]


def insert_entries(entries: list[Entry]) -> None:
    """Index many appeals at once (imported history, ``suqiu duplicates reindex``): on
    PostgreSQL two statements whatever their number (arrays unnested), on SQLite one
    ``executemany`` for the entries and one for the postings."""
    if not entries:
        return
    entry = connection.ops.quote_name("duplicates_duplicateentry")
    term = connection.ops.quote_name("duplicates_duplicateterm")
    columns = "(appeal_id, area_id, created_at, expires_at, repeat_key, keys)"
    postings = [(k, e.appeal_id) for e in entries for k in e.keys]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {entry} {columns} SELECT * FROM unnest(%s::bigint[], "
                "%s::integer[], %s::timestamptz[], %s::timestamptz[], %s::bigint[], %s::bytea[])",
                [
                    [e.appeal_id for e in entries],
                    [e.area_id for e in entries],
                    [e.created_at for e in entries],
                    [e.expires_at for e in entries],
                    [e.repeat_key for e in entries],
                    [pack_keys(e.keys) for e in entries],
                ],
            )
            if postings:
                cursor.execute(
                    f"INSERT INTO {term} (key, appeal_id) "
                    "SELECT * FROM unnest(%s::integer[], %s::bigint[])",
                    [[k for k, _a in postings], [a for _k, a in postings]],
                )
            return
        adapt = connection.ops.adapt_datetimefield_value
        cursor.executemany(
            f"INSERT INTO {entry} {columns} VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (
                    e.appeal_id,
                    e.area_id,
                    adapt(e.created_at),
                    adapt(e.expires_at),
                    e.repeat_key,
                    pack_keys(e.keys),
                )
                for e in entries
            ],
        )
        if postings:
            cursor.executemany(f"INSERT INTO {term} (key, appeal_id) VALUES (%s, %s)", postings)


def repeats_of(repeat_key: int, *, since, until, exclude: int, limit: int = 5) -> list[int]:
    """Ids of indexed appeals with this repeat key created in [since, until], newest first."""
    entry = connection.ops.quote_name("duplicates_duplicateentry")
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT appeal_id FROM {entry} WHERE repeat_key = %s AND created_at >= %s "
            "AND created_at <= %s AND appeal_id <> %s ORDER BY created_at DESC LIMIT %s",
            [repeat_key, adapt(since), adapt(until), exclude, limit],
        )
        return [row[0] for row in cursor.fetchall()]


# --- Look-up -------------------------------------------------------------------------------------


# Keys this process found too common: key -> (monotonic expiry, the postings limit it exceeded).
COMMON_TTL = 600.0
COMMON_MAX = 200_000
_common: dict[int, tuple[float, int]] = {}


def forget_common_keys() -> None:
    """Forget the keys found too common (tests; a process's memory otherwise expires alone)."""
    _common.clear()


def _known_common(key: int, max_postings: int, now: float) -> bool:
    seen = _common.get(key)
    if seen is None:
        return False
    if seen[0] < now:
        del _common[key]
        return False
    # More than L postings means more than any smaller limit too.
    return max_postings <= seen[1]


def _remember_common(key: int, max_postings: int, now: float) -> None:
    if len(_common) >= COMMON_MAX:
        _common.clear()
    _common[key] = (now + COMMON_TTL, max_postings)


@dataclass
class LookUp:
    """Appeal ids sharing terms with the query, best first, and what the look-up read."""

    ranked: list[int] = field(default_factory=list)
    postings_read: int = 0
    keys_asked: int = 0
    keys_too_common: int = 0


SQLITE_CHUNK = 200  # keys per statement (SQLite allows 500 terms in a compound SELECT)


def _collect(cursor, by_key: dict[int, list[int]], result: LookUp) -> None:
    for key, appeal_id in cursor.fetchall():
        by_key[key].append(appeal_id)
        result.postings_read += 1


def look_up(
    keys: list[int], *, max_postings: int, min_shared: int = 1, exclude: int | None = None
) -> LookUp:
    """Postings of ``keys`` (each read up to ``max_postings + 1``), too-common keys dropped,
    appeals sharing at least ``min_shared`` of the rest ranked by the sum of their shared keys'
    inverse frequencies."""
    keys = list(dict.fromkeys(keys))
    result = LookUp(keys_asked=len(keys))
    now = time.monotonic()
    fresh = [k for k in keys if not _known_common(k, max_postings, now)]
    result.keys_too_common = len(keys) - len(fresh)
    keys = fresh
    if not keys:
        return result
    by_key: dict[int, list[int]] = defaultdict(list)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT k.key, t.appeal_id FROM unnest(%s::integer[]) AS k(key) "
                "CROSS JOIN LATERAL (SELECT appeal_id FROM duplicates_duplicateterm "
                "WHERE key = k.key ORDER BY appeal_id DESC LIMIT %s) AS t",
                [keys, max_postings + 1],
            )
            _collect(cursor, by_key, result)
        else:
            # SQLite has no LATERAL: one limited sub-select per key, in one compound statement
            # (each a range of the primary key), at most SQLITE_CHUNK keys a statement.
            one = (
                "SELECT * FROM (SELECT key, appeal_id FROM duplicates_duplicateterm "
                "WHERE key = %s ORDER BY appeal_id DESC LIMIT %s)"
            )
            for i in range(0, len(keys), SQLITE_CHUNK):
                chunk = keys[i : i + SQLITE_CHUNK]
                cursor.execute(
                    " UNION ALL ".join([one] * len(chunk)),
                    [v for k in chunk for v in (k, max_postings + 1)],
                )
                _collect(cursor, by_key, result)
    score: dict[int, float] = defaultdict(float)
    shared: dict[int, int] = defaultdict(int)
    for key, ids in by_key.items():
        if len(ids) > max_postings:
            result.keys_too_common += 1
            _remember_common(key, max_postings, now)
            continue
        weight = math.log(1 + max_postings / len(ids))
        for appeal_id in ids:
            if appeal_id != exclude:
                score[appeal_id] += weight
                shared[appeal_id] += 1
    result.ranked = sorted(
        (a for a in score if shared[a] >= min_shared), key=lambda a: (-score[a], -a)
    )
    return result
