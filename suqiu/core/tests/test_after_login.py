"""Signing in without ``next`` lands staff at the workbench and residents at the resident home."""

import pytest
from django.urls import reverse

from suqiu.core.testing import PASSWORD


@pytest.mark.parametrize(
    ("username", "landing"),
    [
        ("resident", "resident:home"),
        ("dispatcher", "workbench:home"),
        ("handler", "workbench:home"),
        ("volunteer", "workbench:home"),
    ],
)
def test_login_lands_by_role(world, client, username, landing):
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    follow = client.get(response["Location"])
    assert follow.status_code == 302
    assert follow["Location"] == reverse(landing)


def test_login_honours_next(world, client):
    response = client.post(
        reverse("login") + "?next=/track",
        {"username": "dispatcher", "password": PASSWORD, "next": "/track"},
    )
    assert response["Location"] == "/track"
