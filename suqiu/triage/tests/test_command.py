"""`suqiu triage train|list|activate|off|evaluate`."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from suqiu.appeals.tests.chain import act, new_appeal
from suqiu.triage import loader
from suqiu.triage.models import RoutingModel
from suqiu.triage.tests.test_intake_model import HOUSING_TEXTS, ROAD_TEXTS, history

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("triage", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_train_list_activate_and_off(world):
    history(world)
    out, err = run("train", "--min-per-label", "3")
    assert "routing model v1 (active): 16 appeals, 2 categories" in out
    assert "cross-validated: macro-F1 " in out and "{" not in out  # words, not a JSON dump
    assert "s, the cross-validation included" in out
    # The training says what it fits and each fit as it ends: a long training is not silent.
    assert "training on 16 appeals in 2 categories" in err
    assert "fitting the model on all 16 rows and on each of 5 folds" in err
    assert "1 of 6 fits done" in err and "6 of 6 fits done" in err
    assert "ConvergenceWarning" not in err
    out, _ = run("train", "--min-per-label", "3", "--no-activate", "--json")
    assert "v2 (stored, not active)" in out
    metrics = json.loads(out.strip().splitlines()[-1])
    assert "accuracy" in metrics and metrics["version_info"]["n_train"] == 16
    info = metrics["version_info"]
    assert info["total_seconds"] >= info["train_seconds"] > 0
    listing, _ = run("list")
    assert listing.splitlines()[0].startswith("  v2") and listing.splitlines()[1].startswith("* v1")
    assert "cross-validated: macro-F1" in listing.splitlines()[1]
    run("activate", "2")
    assert RoutingModel.objects.get(is_active=True).version == 2
    assert loader.active().version == 2
    run("off")
    assert not RoutingModel.objects.filter(is_active=True).exists()
    assert loader.active() is None
    with pytest.raises(CommandError, match="No routing model v9"):
        run("activate", "9")


def test_train_keeps_to_the_most_recent_appeals(world, settings):
    history(world)
    out, err = run("train", "--min-per-label", "3", "--max-rows", "12")
    assert "training on 12 appeals in 2 categories" in err
    assert "v1 (active): 12 appeals" in out
    settings.SUQIU_TRIAGE_MAX_ROWS = 14  # the default of --max-rows
    _, err = run("train", "--min-per-label", "3")
    assert "training on 14 appeals in 2 categories" in err
    _, err = run("train", "--min-per-label", "3", "--max-rows", "0")  # 0: all of them
    assert "training on 16 appeals in 2 categories" in err
    for bad in ("-1", str(10**20)):  # 10**20 fits no database integer
        with pytest.raises(CommandError, match="--max-rows"):
            run("train", "--max-rows", bad)
    for bad in ("-1", str(2**32)):  # numpy takes seeds of 32 bits
        with pytest.raises(CommandError, match="--seed"):
            run("train", "--min-per-label", "3", "--seed", bad)


def _wrongly_assessed(world, batch: str) -> None:
    """The same problems told again, each assessed under the other category (a batch of wrong
    corrections): trained on, the model can no longer tell roads from housing."""
    for texts, code in ((ROAD_TEXTS, "HOUSING"), (HOUSING_TEXTS, "ROAD")):
        for title, description in texts:
            appeal = new_appeal(
                world, title=title, description=description + batch, channel="import"
            )
            act(world.dispatcher, appeal, "assess", category=code)


def test_a_much_worse_training_is_stored_but_not_activated_with_max_drop(world):
    history(world)
    run("train", "--min-per-label", "3", "--max-drop", "0.1")  # nothing active: activates
    v1 = RoutingModel.objects.get(version=1)
    assert v1.is_active and v1.metrics["macro_f1"] > 0.9
    # As good again: the guard lets it through.
    out, _ = run("train", "--min-per-label", "3", "--max-drop", "0.1")
    assert "v2 (active)" in out
    _wrongly_assessed(world, "（再次）")
    with pytest.raises(CommandError, match=r"v3 was not activated: .* below the active v2's"):
        run("train", "--min-per-label", "3", "--max-drop", "0.1")
    v3 = RoutingModel.objects.get(version=3)
    assert not v3.is_active and v3.metrics["macro_f1"] < v1.metrics["macro_f1"] - 0.1
    assert RoutingModel.objects.get(is_active=True).version == 2
    assert loader.active().version == 2
    # Without the guard a training is activated whatever its figures (as before).
    out, _ = run("train", "--min-per-label", "3")
    assert "v4 (active)" in out
    for bad in ("-0.1", "1.5"):
        with pytest.raises(CommandError, match="--max-drop"):
            run("train", "--min-per-label", "3", "--max-drop", bad)


def test_train_refuses_too_little_data(world):
    with pytest.raises(CommandError, match="at least two categories|至少需要两个类别"):
        run("train")


COLUMNS = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "一级标签", "text_form"]


def _csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for i, (title, detail, label) in enumerate(rows):
            writer.writerow([i, f"U{i}", title, "2019-01-01 00:00:00", detail, label, "original"])


def test_evaluate_prints_the_result_as_json_on_its_last_line(tmp_path, capfd):
    rows = [(t, d, "交通运输") for t, d in ROAD_TEXTS] + [
        (t, d, "城乡建设") for t, d in HOUSING_TEXTS
    ]
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    _csv(train, rows * 2)
    _csv(test, rows[::3])
    from django.core.management import execute_from_command_line

    execute_from_command_line(
        ["suqiu", "triage", "evaluate", "--train", str(train), "--test", str(test)]
    )
    captured = capfd.readouterr()
    last = captured.out.strip().splitlines()[-1]
    result = json.loads(last)
    assert result["n_train"] == 32 and result["n_test"] == 6
    assert 0 <= result["accuracy"] <= 1 and "macro_f1" in result


def test_evaluate_warns_when_the_test_file_is_the_training_file(tmp_path):
    path = tmp_path / "both.csv"
    rows = [(t, "城乡建设") for t in HOUSING_TEXTS] + [(t, "交通运输") for t in ROAD_TEXTS]
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS[:6])
        for i, (text, label) in enumerate(rows):
            w.writerow([i, "U", text, "2019/1/1", text, label])
    out, err = run("evaluate", "--train", str(path), "--test", str(path))
    assert "the test file is the training file" in err
    assert json.loads(out.strip().splitlines()[-1])["n_test"] == len(rows)


def test_evaluate_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("evaluate", "--train", str(tmp_path / "nope.csv"), "--test", str(tmp_path / "x.csv"))


def test_evaluate_refuses_a_file_without_labels(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing column"):
        run("evaluate", "--train", str(bad), "--test", str(bad))


def test_train_refuses_in_the_command_s_language(world):
    """The command's own words are English: a refusal from the service is too, not Chinese."""
    with pytest.raises(CommandError, match="Not enough assessed appeals to train"):
        run("train")
