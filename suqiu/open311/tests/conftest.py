"""Fixtures for the Open311 tests: a client application with a key, and extra questions."""

import pytest

from suqiu.open311.models import ApiClient, ServiceAttribute


@pytest.fixture
def api_key(world):
    _client, raw = ApiClient.issue(name="CityApp", rate_limit_per_minute=1000)
    return raw


@pytest.fixture
def road_questions(world):
    """ROAD.POTHOLE asks one required list question and optional questions of every datatype."""
    cat = world.cat_pothole
    make = ServiceAttribute.objects.create
    return {
        "SIZE": make(
            category=cat,
            code="SIZE",
            datatype="singlevaluelist",
            required=True,
            order=1,
            description="How big is the pothole?",
            values=[{"key": "S", "name": "Small"}, {"key": "L", "name": "Large"}],
        ),
        "HAZARDS": make(
            category=cat,
            code="HAZARDS",
            datatype="multivaluelist",
            order=2,
            description="What makes it dangerous?",
            values=[{"key": "water", "name": "Water"}, {"key": "night", "name": "Unlit"}],
        ),
        "DEPTH": make(
            category=cat, code="DEPTH", datatype="number", order=3, description="Depth (cm)"
        ),
        "SEEN": make(
            category=cat, code="SEEN", datatype="datetime", order=4, description="First seen"
        ),
        "LANE": make(category=cat, code="LANE", datatype="string", order=5, description="Lane"),
        "NOTES": make(category=cat, code="NOTES", datatype="text", order=6, description="Notes"),
        "INFO": make(
            category=cat,
            code="INFO",
            datatype="string",
            variable=False,
            order=7,
            description="Potholes are filled within a week.",
        ),
    }
