"""Attribute answers per GeoReport v2 datatype (pure validation, then one end-to-end per type)."""

import pytest
from django.http import QueryDict

from suqiu.open311.attributes import submitted_attributes, validate_attributes
from suqiu.open311.models import ServiceAttribute

pytestmark = pytest.mark.django_db


def check(road_questions, **answers):
    definition = sorted(road_questions.values(), key=lambda a: a.order)
    submitted = {"SIZE": ["S"]}
    submitted.update({k: v if isinstance(v, list) else [v] for k, v in answers.items()})
    return validate_attributes(definition, submitted)


@pytest.mark.parametrize(
    ("code", "raw", "expected"),
    [
        ("LANE", "left lane", "left lane"),
        ("NOTES", "line one\nline two", "line one\nline two"),
        ("DEPTH", "12", 12),
        ("DEPTH", "-3.5", -3.5),
        ("DEPTH", "1e2", 100),
        ("SEEN", "2025-03-01T08:00:00Z", "2025-03-01T08:00:00+00:00"),
        ("SEEN", "2025-03-01", "2025-03-01"),
        ("SIZE", "L", "L"),
        ("HAZARDS", ["water", "night", "water"], ["water", "night"]),
    ],
)
def test_good_values_per_datatype(world, road_questions, code, raw, expected):
    answers, errors = check(road_questions, **{code: raw})
    assert errors == []
    assert answers[code] == expected


@pytest.mark.parametrize(
    ("code", "raw"),
    [
        ("LANE", "two\nlines"),  # string is one line
        ("LANE", "x" * 1001),
        ("NOTES", "x" * 4001),
        ("DEPTH", "deep"),
        ("DEPTH", "nan"),
        ("DEPTH", "inf"),
        ("DEPTH", "1,5"),
        ("SEEN", "next tuesday"),
        ("SEEN", "2025-02-30T00:00:00Z"),
        ("SIZE", "XL"),  # not one of the keys
        ("SIZE", ["S", "L"]),  # single value list takes one
        ("HAZARDS", ["water", "fire"]),
        ("NOPE", "x"),  # not an attribute of this service
    ],
)
def test_bad_values_per_datatype(world, road_questions, code, raw):
    _answers, errors = check(road_questions, **{code: raw})
    assert len(errors) == 1
    assert code in errors[0]


def test_required_and_informational_attributes(world, road_questions):
    answers, errors = validate_attributes(list(road_questions.values()), {})
    assert errors == ["Attribute SIZE is required."] or "SIZE" in errors[0]
    assert len(errors) == 1
    # An informational attribute (variable false) takes no answer: ignored, not stored.
    answers, errors = check(road_questions, INFO="whatever")
    assert errors == [] and "INFO" not in answers
    # Empty values count as missing.
    _answers, errors = validate_attributes(list(road_questions.values()), {"SIZE": []})
    assert "SIZE" in errors[0]


def test_form_keys_in_every_spelling(world):
    post = QueryDict(
        "attribute[A]=1&attribute[B][]=x&attribute[B][]=y&attribute[C][0]=z&attribute[D]=&other=1"
    )
    assert submitted_attributes(post) == {"A": ["1"], "B": ["x", "y"], "C": ["z"], "D": []}


def test_list_attribute_values_are_checked_in_the_admin(world):
    from django.core.exceptions import ValidationError

    bad = ServiceAttribute(
        category=world.cat_road, code="K", datatype="singlevaluelist", description="?", values=[]
    )
    with pytest.raises(ValidationError):
        bad.clean()
    dup = ServiceAttribute(
        category=world.cat_road,
        code="K",
        datatype="multivaluelist",
        description="?",
        values=[{"key": "a", "name": "A"}, {"key": "a", "name": "B"}],
    )
    with pytest.raises(ValidationError):
        dup.clean()
