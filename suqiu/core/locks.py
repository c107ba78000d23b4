"""Serialising one kind of write across processes, inside the caller's transaction.

``wait_for(name)`` takes a PostgreSQL transaction-level advisory lock on a 64-bit key derived
from ``name`` (or given as an int): a second transaction asking for the same name waits until the
first commits or rolls back. SQLite runs one write transaction at a time anyway (BEGIN
IMMEDIATE), so there it does nothing. Used where row locks cannot serialise because the rows do
not exist yet: two intakes of one exact repeat, two hotspot runs of one window, two activations
of a routing model.
"""

from __future__ import annotations

import hashlib

from django.db import connection


def key_of(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (the same in every process)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def wait_for(name: str | int) -> None:
    """Inside a transaction: wait until no other transaction holds ``name`` (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    key = name if isinstance(name, int) else key_of(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
