"""``suqiu run`` starts the first routing model's training again when the one started with the
demo data never finished (stopped early): demo data there, no model stored."""

import pytest
from django.utils import timezone

from suqiu.core.management.commands.run import Command
from suqiu.demo.people import DEMO_USERS
from suqiu.directory.models import User
from suqiu.triage.models import RoutingModel

pytestmark = pytest.mark.django_db


def test_training_is_due_with_demo_data_and_no_model():
    assert not Command._demo_without_model()  # an empty database: nothing to learn from
    User.objects.create_user(username=next(iter(DEMO_USERS)).username, password="x")
    assert Command._demo_without_model()
    RoutingModel.objects.create(version=1, created_at=timezone.now(), blob=b"")
    assert not Command._demo_without_model()  # one was stored (active or not): not again
