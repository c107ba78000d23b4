"""The commands speak the operator's language (suqiu/core/commands.py): SUQIU_CLI_LANGUAGE, else
the locale's variables, else Chinese; help, output, errors and the services' refusals alike."""

import io
import os
import subprocess
import sys
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from suqiu.core.commands import aligned, cli_language, display_width
from suqiu.imports.importer import Summary


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "zh-hans"),  # nothing set: the product's default
        ({"LANG": "C.UTF-8"}, "zh-hans"),  # a server's or a container's locale names no language
        ({"LANG": "POSIX"}, "zh-hans"),
        ({"LANG": "zh_CN.UTF-8"}, "zh-hans"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),  # no German: English, not Chinese
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),  # LC_ALL before LANG
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_TW.UTF-8"}, "zh-hans"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "zh_CN:en"}, "zh-hans"),  # first of the list
        ({"LANG": "zh_CN.UTF-8", "SUQIU_CLI_LANGUAGE": "en"}, "en"),  # the explicit setting
        ({"LANG": "en_US.UTF-8", "SUQIU_CLI_LANGUAGE": "zh-hans"}, "zh-hans"),
        ({"SUQIU_CLI_LANGUAGE": "zh_Hans"}, "zh-hans"),
    ],
)
def test_the_language_comes_from_the_setting_then_the_locale_then_the_default(environ, expected):
    assert cli_language(environ) == expected


def test_a_setting_that_names_no_language_is_refused():
    with pytest.raises(CommandError, match="SUQIU_CLI_LANGUAGE='C': use zh-hans"):
        cli_language({"SUQIU_CLI_LANGUAGE": "C", "LANG": "en_US.UTF-8"})


def test_display_width_counts_a_chinese_character_as_two_columns():
    assert display_width("created") == 7
    assert display_width("新建") == 4
    assert display_width("已存在: 5") == 9


@pytest.mark.django_db
def test_output_and_errors_follow_the_language(monkeypatch):
    before = translation.get_language()
    monkeypatch.setenv("SUQIU_CLI_LANGUAGE", "zh-hans")
    out = io.StringIO()
    call_command("triage", "list", stdout=out)
    assert out.getvalue().strip() == "还没有分拨模型；请用 `suqiu triage train` 训练一个"
    with pytest.raises(CommandError, match="没有分拨模型 v7。"):
        call_command("triage", "activate", "7")
    # The services' refusals too (they are translated where they are raised).
    with pytest.raises(CommandError, match="训练"):
        call_command("triage", "train", stdout=io.StringIO(), stderr=io.StringIO())
    monkeypatch.setenv("SUQIU_CLI_LANGUAGE", "en")
    out = io.StringIO()
    call_command("triage", "list", stdout=out)
    assert out.getvalue().strip() == "no routing model; train one with `suqiu triage train`"
    with pytest.raises(CommandError, match="Not enough assessed appeals to train"):
        call_command("triage", "train", stdout=io.StringIO(), stderr=io.StringIO())
    # The command leaves the language it found: nothing leaks into what runs after it.
    assert translation.get_language() == before


def test_help_follows_the_language(monkeypatch):
    from suqiu.triage.management.commands.triage import Command

    monkeypatch.setenv("SUQIU_CLI_LANGUAGE", "zh-hans")
    parser = Command().create_parser("suqiu", "triage")
    text = parser.format_help()
    assert "智能分拨的模型：从数据库训练、用文件评估、列出、启用。" in text
    train = parser._subparsers._group_actions[0].choices["train"].format_help()
    assert "只保存新版本，不启用。" in train
    monkeypatch.setenv("SUQIU_CLI_LANGUAGE", "en")
    text = Command().create_parser("suqiu", "triage").format_help()
    assert "Routing models of triage: train from the database" in text


def test_the_import_summary_aligns_its_labels_in_either_language():
    summary = Summary(
        path="hotline.csv",
        mapping="gov-message",
        source="gov",
        rows_read=5,
        created=3,
        already_present=1,
        failed=1,
        errors_path="hotline.errors.csv",
        seconds=2.0,
        reasons=Counter({"留言编号: missing id": 1}),
    )
    with translation.override("en"):
        english = summary.lines()
    # The reasons are written in the language of the import that met them.
    summary.reasons = Counter({"留言编号: 缺少编号": 1})
    with translation.override("zh-hans"):
        chinese = summary.lines()
    assert english[:5] == [
        "file:            hotline.csv",
        "mapping:         gov-message (source 'gov')",
        "rows read:       5",
        "created:         3",
        "already present: 1",
    ]
    assert "failed:          1 (see hotline.errors.csv)" in english
    assert chinese[:5] == [
        "文件:     hotline.csv",
        "列映射:   gov-message（来源 'gov'）",
        "读取行数: 5",
        "新建:     3",
        "已存在:   1",
    ]
    assert "失败:     1（见 hotline.errors.csv）" in chinese
    assert chinese[-1] == "没有编号的行：--ids-from-content 可按内容为每行生成编号"


def _suqiu(tmp_path, *args, **environ) -> subprocess.CompletedProcess:
    """``suqiu ARGS`` in a new process, with this one's environment less its Django, Suqiu and
    locale settings, plus ``environ``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SUQIU_", "DATABASE_URL", "PYTEST", "LC_", "LANG"))
    }
    env.update(SUQIU_DATA_DIR=str(tmp_path), **environ)
    return subprocess.run(
        [sys.executable, "-m", "suqiu.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_unusable_setting_stops_the_command_line_with_its_reason(tmp_path):
    proc = _suqiu(tmp_path, "triage", "list", SUQIU_CLI_LANGUAGE="POSIX")
    assert proc.returncode == 1
    assert "SUQIU_CLI_LANGUAGE='POSIX': use zh-hans (Chinese) or en (English)." in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_command_line_speaks_chinese_on_a_server_locale(tmp_path):
    proc = _suqiu(tmp_path, "demo", "--days", "0", LANG="C.UTF-8")
    assert proc.returncode == 1
    assert "CommandError: --days 须在 1 到 3650 之间。" in proc.stderr
    proc = _suqiu(tmp_path, "demo", "--days", "0", LANG="en_US.UTF-8")
    assert "CommandError: --days must be between 1 and 3650." in proc.stderr


def test_aligned_values_start_in_one_terminal_column():
    assert aligned([("API 文档", "/api"), ("database", "sqlite")], gap=2) == [
        "API 文档  /api",
        "database  sqlite",
    ]
    assert aligned([("文件", "a.csv"), ("rows read", "5")], after=":") == [
        "文件:      a.csv",
        "rows read: 5",
    ]
    assert aligned([]) == []
