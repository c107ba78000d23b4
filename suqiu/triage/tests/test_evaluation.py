import csv

import pytest

from suqiu.triage.evaluation import coverage_at_precision, evaluate_files, read_labelled_csv

COLUMNS = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "一级标签"]

TRAIN = [
    ("公交车太少", "早高峰等公交车要一个小时，希望增加班次", "交通运输"),
    ("红绿灯坏了", "路口红绿灯坏了，车辆乱行很危险", "交通运输"),
    ("出租车拒载", "出租车司机拒载还乱收费", "交通运输"),
    ("道路坑洼", "道路坑洼不平，车辆经常爆胎", "交通运输"),
    ("公交线路", "公交线路调整后老人出行不便", "交通运输"),
    ("", "客运站黑车拉客，交通秩序混乱", "交通运输"),
    ("学校乱收费", "学校乱收补课费，家长负担重", "教育文体"),
    ("划片招生", "小学划片招生不合理，孩子上学远", "教育文体"),
    ("幼儿园收费", "幼儿园收费太高，希望增加公办幼儿园", "教育文体"),
    ("教师工资", "教师工资拖欠，老师们很有意见", "教育文体"),
    ("学校食堂", "中学食堂饭菜质量差，学生吃不饱", "教育文体"),
    ("", "学校强制学生购买教辅资料", "教育文体"),
    ("工厂废气", "化工厂排放废气，空气刺鼻难闻", "环境保护"),
    ("施工噪音", "工地夜间施工噪音扰民，无法入睡", "环境保护"),
    ("河道污染", "河道被污水污染，鱼都死了", "环境保护"),
    ("养猪场", "养猪场粪便直排，臭气熏天", "环境保护"),
    ("油烟直排", "饭店油烟直排居民楼，污染严重", "环境保护"),
    ("", "工厂偷排废水，污染地下水", "环境保护"),
]
TEST = [
    ("公交车班次", "公交车班次太少，等车太久", "交通运输"),
    ("学校收费", "学校收补课费，家长有意见", "教育文体"),
    ("废水污染", "工厂排放废水污染河道", "环境保护"),
    ("", "夜间施工噪音太大", "环境保护"),
]


def _write(path, rows, columns=COLUMNS):
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for i, (title, detail, label) in enumerate(rows):
            full = {
                "留言编号": str(1000 + i),
                "留言用户": f"U{i:07d}",
                "留言主题": title,
                "留言时间": "2019/2/28 11:25:05",
                "留言详情": f"\n\t\t{detail}\n\t",
                "一级标签": label,
                "一级分类": label,
            }
            w.writerow([full.get(c, "") for c in columns])
    return path


# --- coverage_at_precision -----------------------------------------------------------------


def test_coverage_all_correct_and_all_wrong():
    assert coverage_at_precision([0.9, 0.8, 0.7], [True, True, True], 0.98) == 1.0
    assert coverage_at_precision([0.9, 0.8, 0.7], [False, False, False], 0.5) == 0.0


def test_coverage_takes_the_largest_prefix_by_confidence():
    # by confidence: T T T F T  -> prefixes' accuracy 1, 1, 1, .75, .8
    conf = [0.5, 0.9, 0.8, 0.7, 0.6]
    correct = [True, True, True, True, False]
    # order: .9 T, .8 T, .7 T, .6 F, .5 T
    assert coverage_at_precision(conf, correct, 0.98) == pytest.approx(3 / 5)
    assert coverage_at_precision(conf, correct, 0.8) == pytest.approx(5 / 5)
    assert coverage_at_precision(conf, correct, 0.76) == pytest.approx(5 / 5)
    assert coverage_at_precision(conf, correct, 0.81) == pytest.approx(3 / 5)


def test_coverage_a_later_larger_prefix_can_recover():
    # F first, then many T: accuracy of prefixes 0, .5, .67, .75, .8 -> largest with >= .75 is 5
    conf = [0.99, 0.9, 0.8, 0.7, 0.6]
    correct = [False, True, True, True, True]
    assert coverage_at_precision(conf, correct, 0.75) == pytest.approx(1.0)
    assert coverage_at_precision(conf, correct, 0.95) == 0.0


def test_coverage_ties_are_taken_together():
    # two items tie at 0.8, one right one wrong: cannot take only the right one
    conf = [0.9, 0.8, 0.8, 0.1]
    correct = [True, True, False, False]
    assert coverage_at_precision(conf, correct, 0.98) == pytest.approx(1 / 4)
    assert coverage_at_precision(conf, correct, 0.6) == pytest.approx(3 / 4)
    # the order of the tied items in the input does not matter
    assert coverage_at_precision([0.9, 0.8, 0.8, 0.1], [True, False, True, False], 0.98) == (
        pytest.approx(1 / 4)
    )


def test_coverage_of_nothing_is_zero():
    assert coverage_at_precision([], [], 0.98) == 0.0


# --- reading CSV files ---------------------------------------------------------------------


def test_read_labelled_csv(tmp_path):
    texts, labels = read_labelled_csv(_write(tmp_path / "t.csv", TRAIN[:2] + TRAIN[5:6]))
    assert labels == ["交通运输"] * 3
    assert texts[0] == "公交车太少。早高峰等公交车要一个小时，希望增加班次"
    assert texts[2] == "客运站黑车拉客，交通秩序混乱"  # no title: the detail alone


def test_an_export_naming_the_label_column_yiji_fenlei_reads_the_same(tmp_path):
    columns = [*COLUMNS[:-1], "一级分类"]
    assert read_labelled_csv(_write(tmp_path / "f.csv", TRAIN, columns=columns)) == (
        read_labelled_csv(_write(tmp_path / "t.csv", TRAIN))
    )


def test_missing_columns_are_a_clear_error(tmp_path):
    path = _write(tmp_path / "bad.csv", TRAIN, columns=["留言编号", "留言主题", "留言详情"])
    with pytest.raises(ValueError, match="missing column.*一级标签"):
        read_labelled_csv(path)
    with pytest.raises(ValueError, match="missing column"):
        evaluate_files(path, path)


def test_rows_without_a_label_or_text_are_left_out_and_said(tmp_path, capsys):
    rows = [*TRAIN, ("标题", "内容", ""), ("", "", "交通运输")]
    path = _write(tmp_path / "gaps.csv", rows)
    skipped = []
    texts, labels = read_labelled_csv(path, skipped=skipped)
    assert (texts, labels) == read_labelled_csv(_write(tmp_path / "t.csv", TRAIN))
    n = len(TRAIN)
    assert skipped == [(n + 2, "empty 一级标签"), (n + 3, "empty 留言主题 and 留言详情")]
    # A test file keeps a labelled row without text: the model is scored on it all the same.
    texts, labels = read_labelled_csv(path, keep_empty_text=True)
    assert (texts[-1], labels[-1]) == ("", "交通运输") and len(texts) == n + 1
    result = evaluate_files(path, path)
    assert (result["n_train"], result["n_test"]) == (n, n + 1)
    err = capsys.readouterr().err
    assert (
        f"gaps.csv: 2 row(s) left out (empty 一级标签: 1; empty 留言主题 and 留言详情: 1): rows {n + 2}, {n + 3}"
        in err
    )
    assert f"gaps.csv: 1 row(s) left out (empty 一级标签: 1): rows {n + 2}" in err


def test_missing_file_and_no_rows_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="cannot open"):
        read_labelled_csv(tmp_path / "nope.csv")
    header_only = tmp_path / "empty.csv"
    header_only.write_text(",".join(COLUMNS) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no labelled rows"):
        read_labelled_csv(header_only)
    with pytest.raises(ValueError, match="no labelled rows"):
        read_labelled_csv(_write(tmp_path / "nolabel.csv", [("标题", "内容", "")]))


def test_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes((",".join(COLUMNS) + "\n1,U1,标题,t,内容,交通运输\n").encode("gbk"))
    with pytest.raises(ValueError, match="UTF-8"):
        read_labelled_csv(path)


# --- evaluate_files ------------------------------------------------------------------------


def test_evaluate_files_returns_every_key(tmp_path):
    train = _write(tmp_path / "train.csv", TRAIN)
    test = _write(tmp_path / "test.csv", TEST)
    result = evaluate_files(train, test)
    assert set(result) == {
        "macro_f1",
        "accuracy",
        "coverage_at_precision",
        "n_train",
        "n_test",
        "train_seconds",
        "predict_ms_p50",
    }
    assert set(result["coverage_at_precision"]) == {"0.95", "0.98", "0.99"}
    assert result["n_train"] == len(TRAIN)
    assert result["n_test"] == len(TEST)
    assert 0.0 <= result["macro_f1"] <= 1.0
    # the test texts are near-copies of training texts: all right
    assert result["accuracy"] == 1.0
    assert result["macro_f1"] == 1.0
    assert result["coverage_at_precision"]["0.98"] == 1.0
    for value in result["coverage_at_precision"].values():
        assert 0.0 <= value <= 1.0
    assert result["train_seconds"] > 0
    assert result["predict_ms_p50"] > 0
