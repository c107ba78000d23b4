"""The defaults of the reply checks; a deployment overrides them with the environment variable
``SUQIU_REPLIES`` (a JSON object, read and checked by ``settings.py``: see README
"Configuration"; ``weights`` may give some of its keys only). No Django import: the settings
read this module before any app loads."""

DEFAULTS = {
    "min_chars": 30,
    # Share of the appeal's main terms the reply must mention (and at least one in any case):
    # 0.1 of 8 terms is "at least one" (real replies: 15 % mention none, see the calibration).
    "min_addressed": 0.1,
    "main_terms": 8,
    "weights": {"addresses": 0.35, "action": 0.25, "time": 0.15, "on_time": 0.15, "length": 0.10},
}
