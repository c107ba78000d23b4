"""Triage test set-up: no routing model in memory before or after a test (the loader is
process-wide; the database and cache are not)."""

import pytest


@pytest.fixture(autouse=True)
def _fresh_loader(monkeypatch):
    from suqiu.triage import loader

    loader.reset()
    monkeypatch.setattr(loader, "CHECK_SECONDS", 0.0)
    yield
    loader.reset()
