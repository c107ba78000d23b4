"""Two trainings finishing at the same moment (PostgreSQL): each gets its own version number and
exactly one version ends up active."""

import pytest

from suqiu.appeals.tests.test_concurrency import race
from suqiu.triage import router, services
from suqiu.triage.models import RoutingModel
from suqiu.triage.tests.test_intake_model import HOUSING_TEXTS, ROAD_TEXTS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_stores_get_distinct_versions_and_one_active():
    texts = [router.text_of(t, d) for t, d in ROAD_TEXTS + HOUSING_TEXTS]
    labels = ["ROAD"] * len(ROAD_TEXTS) + ["HOUSING"] * len(HOUSING_TEXTS)
    trained = router.train(texts, labels, calibrate_thresholds=False)
    expected = 0
    for _round in range(5):
        outcomes = race(
            *[
                lambda: services.store(trained, label_map={}, urgency_terms=[], n_train=16)
                for _ in range(3)
            ]
        )
        assert all(kind == "ok" for kind, _value in outcomes), outcomes
        expected += 3
        versions = sorted(RoutingModel.objects.values_list("version", flat=True))
        assert versions == list(range(1, expected + 1))
        assert RoutingModel.objects.filter(is_active=True).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_activations_answer_cleanly_and_leave_one_active():
    """Two administrators activating two versions at once: each would switch off the version
    active before it and collide on the one-active constraint (IntegrityError, a 500); they wait
    for each other instead, and the last one wins."""
    from django.utils import timezone

    models = [
        RoutingModel.objects.create(version=v, created_at=timezone.now(), blob=b"")
        for v in range(1, 5)
    ]
    services.activate(models[0])
    for _round in range(10):
        outcomes = race(*[lambda m=m: services.activate(m) for m in models[1:]])
        assert all(kind == "ok" for kind, _value in outcomes), outcomes
        assert RoutingModel.objects.filter(is_active=True).count() == 1
