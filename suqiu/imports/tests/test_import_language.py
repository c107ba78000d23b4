"""An import in Chinese: the row reasons in the error report, the file's and the mapping's
errors and the summary's hints follow the command's language (``suqiu/core/commands.py``)."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from suqiu.appeals.models import Appeal
from suqiu.imports.importer import import_appeals

pytestmark = pytest.mark.django_db

GOV = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "一级标签"]


def write(path, rows, header=GOV):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_row_reasons_and_hints_in_chinese(world, tmp_path):
    path = write(
        tmp_path / "gov.csv",
        [
            ["1", "用户", "路灯不亮", "2019/1/5 10:00", "晚上很黑", "城乡建设"],
            ["", "用户", "噪音扰民", "2019/1/6 10:00", "深夜施工", "环境保护"],
            ["3", "用户", "井盖缺失", "某天", "很危险", "城乡建设"],
        ],
    )
    with translation.override("zh-hans"):
        summary = import_appeals(path, progress=False)
        lines = summary.lines()
    assert (summary.created, summary.failed) == (1, 2)
    with open(summary.errors_path, encoding="utf-8-sig", newline="") as f:
        reasons = {row["row"]: row["reason"] for row in csv.DictReader(f)}
    assert reasons == {"3": "缺少编号", "4": "无法识别的日期（未知的日期格式）"}
    # The hint for rows without an id recognises the reason in the language it was written in.
    assert "没有编号的行：--ids-from-content 可按内容为每行生成编号" in lines
    assert "失败:     2（见 " + summary.errors_path + "）" in lines


def test_file_and_mapping_errors_in_chinese(world, tmp_path, monkeypatch):
    monkeypatch.setenv("SUQIU_CLI_LANGUAGE", "zh-hans")
    odd = write(tmp_path / "odd.csv", [["a", "b"]], header=["甲", "乙"])
    with pytest.raises(CommandError, match="无法从表头（甲, 乙）判断导出格式"):
        call_command("import", "appeals", str(odd), "--no-progress", stdout=io.StringIO())
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an old workbook")
    with pytest.raises(CommandError, match="不支持旧的 .xls 工作簿"):
        call_command("import", "appeals", str(old), "--no-progress", stdout=io.StringIO())
    with pytest.raises(CommandError, match="无法打开 .*missing.csv："):
        call_command(
            "import",
            "appeals",
            str(tmp_path / "missing.csv"),
            "--no-progress",
            stdout=io.StringIO(),
        )
    mapping = tmp_path / "m.json"
    mapping.write_text('{"columns": {"external_id": "id"}, "dayfirst": "yes"}', encoding="utf-8")
    with pytest.raises(CommandError, match="m.json：dayfirst 须为 true 或 false，而不是 'yes'"):
        call_command("import", "appeals", str(odd), "--mapping", str(mapping), stdout=io.StringIO())
    assert not Appeal.objects.exists()
