from suqiu.core.text import key_terms, normalise, shingles, words


def test_normalise_folds_full_width_and_case():
    assert normalise("  ＡＢＣ１２３\n  路灯 ") == "abc123 路灯"


def test_chinese_is_segmented_and_stopwords_dropped():
    ws = words("请尽快处理小区门口的路灯坏了")
    assert "路灯" in ws
    assert "的" not in ws and "请" not in ws and "尽快" not in ws


def test_chinese_words_are_jiebas_words_without_hmm():
    """rjieba stands in for jieba: the same dictionary and algorithm, the same words."""
    from suqiu.core.text import STOPWORDS, segmenter

    sentences = [
        "龙田花园广场舞音响太大影响老人休息",
        "伊景园滨河苑捆绑销售车位",
        "坑梓社区独居老人需要帮助送餐上门",
        "丽发新城附近搅拌站噪音扰民粉尘污染严重",
    ]
    for sentence in sentences:
        jieba_words = [w for w in segmenter().lcut(sentence, HMM=False) if w not in STOPWORDS]
        assert words(sentence) == jieba_words


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
