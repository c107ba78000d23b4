"""Shared test set-up: database selection, the standing named test users, service gates.

The suite runs on SQLite by default. With SUQIU_TEST_DATABASE_URL set (``make test`` does a
second pass with it; CI sets it) the same suite runs on PostgreSQL. Tests marked ``postgres``
run only on PostgreSQL; tests marked ``browser`` need Debian's Chromium. In CI (CI=true) a
missing service fails those tests instead of skipping them.
"""

import os
import shutil

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# The ``page`` fixture (Playwright on Chromium against live_server) and its helpers.
pytest_plugins = ("suqiu.core.tests.browser",)


def pytest_configure(config):
    url = os.environ.get("SUQIU_TEST_DATABASE_URL")
    if url:
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("SUQIU_DATA_DIR", os.path.join(os.path.dirname(__file__), "var", "test"))
    # The commands speak the locale's language (suqiu/core/commands.py): the tests read their
    # English, whatever the machine's locale; the Chinese is tested with this set otherwise.
    os.environ["SUQIU_CLI_LANGUAGE"] = "en"


def pytest_sessionstart(session):
    # The default language is Chinese: compile the catalogues (.mo files are not committed) before
    # any test loads a translation, so every test sees the same UI language whatever ran first.
    from suqiu.core.management.commands.compiletranslations import compile_translations

    compile_translations()


def _on_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and not _on_postgres():
        # Unset in CI is a mistake; set but empty is the Makefile's deliberate SQLite pass.
        if IN_CI and os.environ.get("SUQIU_TEST_DATABASE_URL") is None:
            pytest.fail(
                "CI=true but SUQIU_TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI."
            )
        pytest.skip("needs PostgreSQL: runs in the PostgreSQL pass (set SUQIU_TEST_DATABASE_URL)")
    if item.get_closest_marker("browser"):
        chromium = shutil.which("chromium") or (
            "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
        )
        if chromium is None:
            if IN_CI:
                pytest.fail("CI=true but Chromium is missing (apt-get install -y chromium).")
            pytest.skip("needs Chromium: apt-get install -y chromium")


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (zh-Hans). A test client request leaves the
    thread in the language it was answered in (LocaleMiddleware activates, nothing resets), so
    without this a test's language would depend on which test ran before it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    from django.core.cache import cache

    from suqiu.directory.snapshot import forget_versions
    from suqiu.duplicates.index import forget_common_keys

    cache.clear()
    forget_versions()  # this process's copies of the version tokens just cleared
    forget_common_keys()  # this process's memory of the duplicate index's everyday words


@pytest.fixture
def world(db):
    from suqiu.core.testing import build_world

    return build_world()


@pytest.fixture
def actor_of():
    from suqiu.directory.access import actor_for

    def make(user):
        if hasattr(user, "_suqiu_actor"):
            del user._suqiu_actor
        return actor_for(user)

    return make
