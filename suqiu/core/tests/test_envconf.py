"""Settings given as a JSON object in an environment variable (SUQIU_DUPLICATES, SUQIU_REPLIES):
overrides merged over the app's defaults, and a clear refusal to start when they are malformed."""

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from suqiu.core.envconf import json_overrides
from suqiu.duplicates import conf as duplicates_conf
from suqiu.duplicates import index
from suqiu.replies import checks
from suqiu.replies import conf as replies_conf

DUP = duplicates_conf.DEFAULTS
REP = replies_conf.DEFAULTS


def parse(value, defaults=DUP, name="SUQIU_DUPLICATES"):
    return json_overrides(name, defaults, environ={name: value})


def test_unset_or_empty_means_no_overrides():
    assert json_overrides("SUQIU_DUPLICATES", DUP, environ={}) == {}
    assert parse("") == {}
    assert parse("  ") == {}


def test_overrides_are_checked_and_kept():
    got = parse('{"radius_m": 300, "enabled": false, "window_days": 14, "min_similarity": 0.4}')
    # A whole number where the default is a float is that number.
    assert got == {"radius_m": 300.0, "enabled": False, "window_days": 14, "min_similarity": 0.4}
    assert isinstance(got["radius_m"], float)


def test_a_nested_object_is_merged_over_its_default():
    got = parse('{"weights": {"time": 0.5}, "min_chars": 20}', REP, "SUQIU_REPLIES")
    assert got == {"weights": {**REP["weights"], "time": 0.5}, "min_chars": 20}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nope", "SUQIU_DUPLICATES is not valid JSON"),
        ("[1, 2]", "SUQIU_DUPLICATES must be a JSON object of overrides"),
        ('"radius_m=300"', "SUQIU_DUPLICATES must be a JSON object of overrides"),
        ('{"radius": 300}', "SUQIU_DUPLICATES has an unknown key 'radius'; known keys: enabled,"),
        ('{"radius_m": "300"}', "'radius_m' must be a number ≥ 0 (default 500.0), not \"300\""),
        ('{"max_postings": 30.5}', "'max_postings' must be a whole number ≥ 0"),
        ('{"max_postings": true}', "'max_postings' must be a whole number ≥ 0"),
        ('{"enabled": 1}', "'enabled' must be true or false (default true), not 1"),
        ('{"window_days": -1}', "'window_days' must be a whole number ≥ 0"),
        ('{"min_similarity": NaN}', "'min_similarity' must be a number ≥ 0"),
        ('{"radius_m": null}', "'radius_m' must be a number ≥ 0"),
        ('{"radius_m": 1' + "0" * 400 + "}", "'radius_m' must be a number ≥ 0"),
    ],
)
def test_malformed_values_are_refused_naming_the_variable(value, message):
    with pytest.raises(ImproperlyConfigured) as refused:
        parse(value)
    assert message in str(refused.value)
    assert "SUQIU_DUPLICATES" in str(refused.value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"weights": 0.5}', "SUQIU_REPLIES['weights'] must be a JSON object"),
        ('{"weights": {"tim": 0.5}}', "SUQIU_REPLIES['weights'] has an unknown key 'tim'"),
        ('{"weights": {"time": "0.5"}}', "SUQIU_REPLIES['weights']: 'time' must be a number"),
        (
            '{"weights": {"addresses": 0, "action": 0, "time": 0, "on_time": 0, "length": 0}}',
            "SUQIU_REPLIES['weights']: the values cannot all be 0",
        ),
    ],
)
def test_a_malformed_nested_object_is_refused(value, message):
    with pytest.raises(ImproperlyConfigured) as refused:
        parse(value, REP, "SUQIU_REPLIES")
    assert message in str(refused.value)


def test_the_apps_read_the_settings_over_their_defaults(settings):
    settings.SUQIU_DUPLICATES = {"radius_m": 300.0}
    settings.SUQIU_REPLIES = {"min_chars": 20}
    assert index.config() == {**DUP, "radius_m": 300.0}
    assert checks.config() == {**REP, "min_chars": 20}


def _load_settings(tmp_path, **variables):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SUQIU_", "DATABASE_URL", "PYTEST"))
    }
    env.update(SUQIU_DATA_DIR=str(tmp_path), SUQIU_TESTING="1", **variables)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, suqiu.settings as s; "
            "print(json.dumps([s.SUQIU_DUPLICATES, s.SUQIU_REPLIES]))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_settings_read_both_variables_from_the_environment(tmp_path):
    done = _load_settings(
        tmp_path,
        SUQIU_DUPLICATES='{"radius_m": 300, "window_days": 14}',
        SUQIU_REPLIES='{"weights": {"time": 0.5}}',
    )
    assert done.returncode == 0, done.stderr
    duplicates, replies = json.loads(done.stdout)
    assert duplicates == {"radius_m": 300.0, "window_days": 14}
    assert replies == {"weights": {**REP["weights"], "time": 0.5}}
    done = _load_settings(tmp_path)
    assert json.loads(done.stdout) == [{}, {}]


def test_the_suqiu_command_refuses_to_start_with_a_malformed_variable(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SUQIU_", "DATABASE_URL", "PYTEST"))
    }
    env.update(SUQIU_DATA_DIR=str(tmp_path), SUQIU_DUPLICATES='{"radius": 300}')
    done = subprocess.run(
        [sys.executable, "-c", "from suqiu.cli import main; main()", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Suqiu cannot start: SUQIU_DUPLICATES has an unknown key 'radius'" in done.stderr
    assert "Traceback" not in done.stderr
