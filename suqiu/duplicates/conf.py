"""The defaults of the duplicate check; a deployment overrides them with the environment
variable ``SUQIU_DUPLICATES`` (a JSON object, read and checked by ``settings.py``: see README
"Configuration"). No Django import: the settings read this module before any app loads."""

DEFAULTS = {
    "enabled": True,
    # Finished (closed, rejected) appeals stay candidates this long after they finish.
    "window_days": 30,
    # Open appeals older than this are no longer compared (and leave the index).
    "open_days": 180,
    "radius_m": 500.0,
    "repeat_hours": 24,
    "min_similarity": 0.3,
    "max_candidates": 5,
    "terms_per_appeal": 16,
    "max_query_terms": 32,
    "max_postings": 30,
    # An appeal must share this many (not too common) terms to be loaded and compared; fewer
    # for a short appeal (a third of its terms, at least one).
    "min_shared_terms": 3,
    "max_loaded": 20,
    # Similar appeals in the appeal's street (``services.similar_elsewhere``).
    # Real messages spread over the 9 communities of a street (bench/elsewhere_calibration.py,
    # 300 look-ups, the pairs below 0.6 read by hand): other people telling the same problem
    # score 0.30-0.55 ("丽发新城 搅拌站", "捆绑车位", "人才购房补贴"); of the pairs between 0.35
    # and 0.6, 27 of 29 tell the same problem, between 0.30 and 0.35 22 of 30.
    "elsewhere_min_similarity": 0.35,
    "elsewhere_max_loaded": 60,
    "elsewhere_max_shown": 10,
}
