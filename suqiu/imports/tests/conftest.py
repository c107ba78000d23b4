"""The import's messages (row reasons, file and mapping errors, the summary) follow the active
language; these tests read them in English, as `suqiu import` prints them with
SUQIU_CLI_LANGUAGE=en (the Chinese is tested in ``test_import_language.py``)."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield
