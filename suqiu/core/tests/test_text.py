from suqiu.core.text import key_terms, normalise, shingles, words


def test_normalise_folds_full_width_and_case():
    assert normalise("  ＡＢＣ１２３\n  路灯 ") == "abc123 路灯"


def test_chinese_is_segmented_and_stopwords_dropped():
    ws = words("请尽快处理小区门口的路灯坏了")
    assert "路灯" in ws
    assert "的" not in ws and "请" not in ws and "尽快" not in ws


def test_english_words_and_stopwords():
    assert words("The street light on Main St is broken") == [
        "street",
        "light",
        "main",
        "st",
        "broken",
    ]


def test_key_terms_keep_content_words_only():
    terms = key_terms("幸福小区3栋电梯坏了 elevator is out")
    assert {"电梯", "elevator"} <= terms
    assert "is" not in terms


def test_shingles_ignore_punctuation_and_spaces():
    assert shingles("路灯，坏了！") == {"路灯", "灯坏", "坏了"}
    assert shingles("a") == {"a"}
    assert shingles("。") == set()
