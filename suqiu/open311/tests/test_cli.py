"""`suqiu open311 key create|revoke|list`."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from suqiu.open311.models import ApiClient
from suqiu.open311.tests.helpers import BASE

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("open311", *args, stdout=out)
    return out.getvalue().strip()


def test_create_prints_a_key_stored_only_as_a_digest(client, world):
    key = run("key", "create", "CityApp", "--rate-limit", "5")
    app = ApiClient.objects.get(name="CityApp")
    assert app.rate_limit_per_minute == 5
    assert key not in (app.digest, app.prefix) and key.startswith(app.prefix)
    assert app.digest == ApiClient.digest_of(key)
    response = client.post(
        BASE + "requests.json",
        {
            "api_key": key,
            "service_code": "HOUSING",
            "address_string": "1 Main St",
            "description": "x",
        },
    )
    assert response.status_code == 200


def test_list_shows_prefixes_never_keys(world):
    key = run("key", "create", "CityApp")
    listing = run("key", "list")
    assert "CityApp" in listing and "active" in listing
    assert key not in listing


def test_revoke_by_name_or_prefix(client, world):
    first = run("key", "create", "CityApp")
    second = run("key", "create", "Other")
    assert run("key", "revoke", "CityApp") == "revoked 1 key(s)"
    assert run("key", "revoke", second[:10]) == "revoked 1 key(s)"
    assert "revoked" in run("key", "list")
    for key in (first, second):
        response = client.post(
            BASE + "requests.json",
            {"api_key": key, "service_code": "HOUSING", "address_string": "x"},
        )
        assert response.status_code == 403
    with pytest.raises(CommandError):
        run("key", "revoke", "CityApp")  # nothing active left
    with pytest.raises(CommandError):
        run("key", "revoke", "o311")  # too short to be a prefix, and no such name
