"""`suqiu token create|list|revoke USERNAME`: the printed token authenticates until revoked."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from suqiu.directory.models import ApiToken

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("token", *args, stdout=out)
    return out.getvalue().strip()


def me(client, raw):
    return client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_create_prints_a_token_that_authenticates(world, client):
    raw = run("create", "handler", "--name", "partner-system")
    assert raw.startswith("sq_") and len(raw) > 30
    token = ApiToken.objects.get(digest=ApiToken.digest_of(raw))
    assert token.user == world.handler
    assert token.name == "partner-system"
    assert token.prefix == raw[:10]
    assert token.revoked_at is None
    assert raw not in {token.digest, token.prefix}  # the secret itself is not stored
    response = me(client, raw)
    assert response.status_code == 200
    assert response.json()["username"] == "handler"
    assert response.json()["auth"] == "token"


def test_revoke_stops_the_token(world, client):
    raw = run("create", "handler")
    other = run("create", "dispatcher")
    assert run("revoke", "handler") == "revoked 1 token(s)"
    assert ApiToken.objects.get(digest=ApiToken.digest_of(raw)).revoked_at is not None
    assert me(client, raw).status_code == 401
    assert me(client, other).status_code == 200
    assert run("revoke", "handler") == "revoked 0 token(s)"


def test_revoke_one_by_prefix(world):
    first = run("create", "handler", "--name", "one")
    second = run("create", "handler", "--name", "two")
    assert run("revoke", "handler", "--prefix", first[:10]) == "revoked 1 token(s)"
    assert ApiToken.objects.get(digest=ApiToken.digest_of(second)).revoked_at is None


def test_list_shows_prefixes_only(world):
    raw = run("create", "handler", "--name", "ci")
    run("revoke", "handler")
    listing = run("list", "handler")
    assert raw[:10] in listing and raw not in listing
    assert "ci" in listing and "revoked" in listing


def test_unknown_user(world):
    with pytest.raises(CommandError):
        run("create", "nobody")
    assert not ApiToken.objects.exists()
