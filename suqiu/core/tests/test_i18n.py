"""Every UI string in Simplified Chinese (the default) and English, switchable.

The catalogue (suqiu/locale/zh_Hans/LC_MESSAGES/django.po) must translate every string the code
and the templates mark, with the same placeholders; pages render in Chinese unless the visitor
chose English (language cookie, the switch in the page header, or Accept-Language: en); service
and API error messages follow the request's language.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation.template import templatize

from suqiu.api.testing import ApiClient
from suqiu.appeals import services
from suqiu.core.errors import ApplicationError, NotFound, ValidationFailed
from suqiu.core.testing import G1_POINT
from suqiu.directory.access import actor_for

PACKAGE = Path(settings.BASE_DIR)
PO_PATH = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# Names under which the code calls gettext and friends (``_t``: gettext in modules that use ``_``
# for gettext_lazy; ``suqiu makemessages`` extracts it too).
SINGULAR = {"_", "_t", "gettext", "gettext_lazy", "gettext_noop"}
PLURAL = {"ngettext", "ngettext_lazy"}
CONTEXT = {"pgettext", "pgettext_lazy"}
CONTEXT_PLURAL = {"npgettext", "npgettext_lazy"}

# %(name)s, %s, %d, %r ... and str.format's {name}; "%%" is a literal percent sign.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>\w+)\))?[#0 +\-]*(?:\d+|\*)?(?:\.\d+)?(?P<conv>[diouxXeEfFgGcrsa%])"
    r"|\{(?P<brace>\w*)(?:![rsa])?(?::[^{}]*)?\}"
)


def placeholders(text: str) -> list[str]:
    found = []
    for m in PLACEHOLDER.finditer(text):
        if m.group("conv") == "%":
            continue
        found.append(m.group(0))
    return sorted(found)


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def _translated(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural.get(0, "")]
    return [entry.msgstr]


# --- The catalogue ---------------------------------------------------------------------------------


def test_catalogue_is_for_simplified_chinese_with_one_plural_form(catalogue):
    assert catalogue.metadata["Language"] == "zh_Hans"
    assert catalogue.metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert "charset=UTF-8" in catalogue.metadata["Content-Type"]
    assert len([e for e in catalogue if not e.obsolete]) > 400


def test_every_entry_is_translated_and_none_is_fuzzy(catalogue):
    active = [e for e in catalogue if not e.obsolete]
    untranslated = [e.msgid for e in active if not all(t.strip() for t in _translated(e))]
    fuzzy = [e.msgid for e in active if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []


def test_translations_keep_the_placeholders(catalogue):
    wrong = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        expected = placeholders(entry.msgid_plural or entry.msgid)
        if entry.msgid_plural:
            # Chinese has one form: it must carry what the English plural form carries.
            assert placeholders(entry.msgid) == expected or not placeholders(entry.msgid)
        for text in _translated(entry):
            if placeholders(text) != expected:
                wrong.append((entry.msgid, text))
    assert wrong == []


def test_translations_are_chinese(catalogue):
    """A msgstr copied from the msgid would pass the checks above and still show English."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    # Names and codes that read the same in both languages.
    same = {"English", "Open311", "%(code)s"}
    english = [
        e.msgid
        for e in catalogue
        if not e.obsolete and e.msgid not in same and not any(cjk.search(t) for t in _translated(e))
    ]
    assert english == []


# --- Every marked string reaches the catalogue -----------------------------------------------------


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def marked_in_python() -> set[tuple[str | None, str]]:
    """(context, msgid) of every gettext-family call with literal arguments in the package."""
    found: set[tuple[str | None, str]] = set()
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        if "tests" in parts or "migrations" in parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = _call_name(node)
            args = [_literal(a) for a in node.args]
            if name in SINGULAR | PLURAL and args[0] is not None:
                found.add((None, args[0]))
            elif name in CONTEXT | CONTEXT_PLURAL and len(args) >= 2 and None not in args[:2]:
                found.add((args[0], args[1]))
    return found


_TEMPLATE_CALL = re.compile(r"\b(n?p?gettext)\(((?:\s*u'(?:[^'\\]|\\.)*'\s*,?)+)")
_TEMPLATE_ARG = re.compile(r"u('(?:[^'\\]|\\.)*')")


def marked_in_templates() -> set[tuple[str | None, str]]:
    """The same for {% trans %} and {% blocktrans %}, as Django's makemessages reads them."""
    found: set[tuple[str | None, str]] = set()
    # suqiu/templates and every app's own templates/ folder.
    for path in sorted(p for p in PACKAGE.rglob("*.html") if "templates" in p.parts):
        code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        for call in _TEMPLATE_CALL.finditer(code):
            args = [ast.literal_eval(a) for a in _TEMPLATE_ARG.findall(call.group(2))]
            if call.group(1).startswith(("pgettext", "npgettext")):
                found.add((args[0], args[1]))
            else:
                found.add((None, args[0]))
    return found


def test_every_string_marked_in_the_code_is_in_the_catalogue(catalogue):
    known = {(e.msgctxt, e.msgid) for e in catalogue if not e.obsolete}
    marked = marked_in_python()
    assert ("event actor", "public") in marked  # the scan sees pgettext
    assert (None, "Sent to %(organisation)s") in marked  # ... and the _t alias
    missing = sorted(marked - known, key=str)
    assert missing == [], "run `suqiu makemessages -l zh_Hans` and translate the new strings"


def test_every_string_marked_in_the_templates_is_in_the_catalogue(catalogue):
    known = {(e.msgctxt, e.msgid) for e in catalogue if not e.obsolete}
    marked = marked_in_templates()
    assert (None, "Report a problem") in marked
    assert (None, "Page %(n)s of %(total)s") in marked  # blocktrans variables
    assert (None, "Hotspots") in marked  # ... and apps' own templates
    missing = sorted(marked - known, key=str)
    assert missing == [], "run `suqiu makemessages -l zh_Hans` and translate the new strings"


def _all_subclasses(cls) -> set[type]:
    out = set()
    for sub in cls.__subclasses__():
        out |= {sub} | _all_subclasses(sub)
    return out


def test_default_error_messages_are_in_the_catalogue(catalogue):
    """An ApplicationError raised without a message says its docstring, translated."""
    import suqiu.api.root  # noqa: F401 - every module defining error classes is imported
    import suqiu.appeals.workflow  # noqa: F401

    known = {e.msgid for e in catalogue if not e.obsolete and e.msgstr}
    docs = {(c.__doc__ or "").strip() for c in _all_subclasses(ApplicationError) if c.__doc__}
    assert "No such object, or not visible to you." in docs
    assert sorted(docs - known) == []
    with translation.override("zh-hans"):
        assert NotFound().message == "对象不存在，或您无权查看。"
    with translation.override("en"):
        assert NotFound().message == "No such object, or not visible to you."


# --- Service messages follow the active language ---------------------------------------------------


def test_service_errors_are_in_the_language_active_when_raised(world):
    actor = actor_for(world.operator)
    bad = services.AppealInput(title="", description="x", lat=91.0, lon=114.2)
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as zh:
        services.appeal_create(actor=actor, data=bad)
    with translation.override("en"), pytest.raises(ValidationFailed) as en:
        services.appeal_create(actor=actor, data=bad)
    assert zh.value.message == "诉求信息有误。"
    assert zh.value.fields == {
        "title": ["此项为必填项。"],
        "lat": ["纬度须在 -90 到 90 之间。"],
    }
    assert en.value.message == "The appeal is not valid."
    assert en.value.fields["title"] == ["This field is required."]
    # Interpolated messages are translated before the values go in.
    long_title = services.AppealInput(title="长" * 200, description="x")
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as too_long:
        services.appeal_create(actor=actor, data=long_title)
    assert too_long.value.fields["title"] == [f"不超过 {services.TITLE_MAX} 个字符。"]


# --- Pages ---------------------------------------------------------------------------------------


@pytest.fixture
def appeal(world):
    data = services.AppealInput(
        title="楼道灯坏了", description="3栋2单元楼道灯不亮", lat=G1_POINT[0], lon=G1_POINT[1]
    )
    return services.appeal_create(actor=actor_for(world.resident), data=data)


def _pages(world, appeal) -> dict[str, tuple[object, str]]:
    """path → (user to sign in or None)."""
    return {
        "/": None,
        "/report": None,
        f"/track/{appeal.tracking_code}": None,
        "/workbench/": world.dispatcher,
        "/accounts/login/": None,
    }


CHINESE = {
    "/": ["提交诉求", "查询诉求进度", "办理流程", "English"],
    "/report": ["遇到了什么问题？", "问题在哪里？", "匿名反映", "提交诉求"],
    "/track/": ["查询码", "已受理", "办理过程"],
    "/workbench/": ["工作台", "待评估", "待派单", "全部诉求", "紧急程度", "楼道灯坏了"],
    "/accounts/login/": ["登录", "用户名", "密码"],
}
ENGLISH = {
    "/": ["Report a problem", "Follow your appeal", "How it works", "中文"],
    "/report": ["What is the problem?", "Where is it?", "Report anonymously", "Send report"],
    "/track/": ["Tracking code", "Received", "Progress so far"],
    "/workbench/": ["Workbench", "To assess", "To dispatch", "All appeals", "Urgency"],
    "/accounts/login/": ["Sign in", "Username", "Password"],
}


def _expected(table: dict[str, list[str]], path: str) -> list[str]:
    return table["/track/"] if path.startswith("/track/") else table[path]


def _get(client: Client, user, path: str):
    if user is not None:
        client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def test_pages_are_in_chinese_by_default(world, appeal):
    for path, user in _pages(world, appeal).items():
        body = _get(Client(), user, path)
        assert '<html lang="zh-hans">' in body, path
        for text in _expected(CHINESE, path):
            assert text in body, (path, text)
        for text in _expected(ENGLISH, path)[:-1]:
            assert text not in body, (path, text)


def test_pages_are_in_english_when_the_browser_asks_for_it(world, appeal):
    for path, user in _pages(world, appeal).items():
        body = _get(Client(HTTP_ACCEPT_LANGUAGE="en"), user, path)
        assert '<html lang="en">' in body, path
        for text in _expected(ENGLISH, path):
            assert text in body, (path, text)
        for text in _expected(CHINESE, path)[:-1]:
            if path != "/workbench/":  # the appeal's own title is Chinese data
                assert text not in body, (path, text)


def test_the_language_cookie_wins_over_the_browser(world, appeal):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Report a problem" in _get(client, None, "/")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert "提交诉求" in _get(client, None, "/")


def test_the_language_switch_in_the_header(world, appeal):
    client = Client()
    home = _get(client, None, "/report")
    # The switch posts to Django's set_language and comes back to the same page.
    assert 'action="/i18n/setlang/"' in home
    assert '<button name="language" value="en" type="submit">English</button>' in home

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/report"})
    assert response.status_code == 302
    assert response["Location"] == "/report"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = _get(client, None, "/report")
    assert "What is the problem?" in page
    assert '<button name="language" value="zh-hans" type="submit">中文</button>' in page

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/report"})
    assert "遇到了什么问题？" in _get(client, None, "/report")


def test_a_language_we_do_not_offer_falls_back_to_chinese(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    body = _get(client, None, "/")
    assert '<html lang="zh-hans">' in body
    assert "提交诉求" in body


def test_workbench_form_errors_are_in_the_page_language(world, appeal):
    """A service's refusal shown on the workbench form, in both languages."""
    path = f"/workbench/appeals/{appeal.pk}/act/assess"
    for language, required in (("zh-hans", "此项为必填项。"), ("en", "This field is required.")):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(world.dispatcher)
        response = client.post(path, {"urgency": "normal"})
        assert response.status_code == 422
        assert required in response.content.decode()


# --- The API -------------------------------------------------------------------------------------


def test_api_errors_are_in_chinese_for_a_chinese_client(world):
    zh = ApiClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = zh.get("/track/ABCD-EFGH-JKMN")
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "unknown_tracking_code",
        "message": "没有与该查询码对应的诉求。",
    }
    assert zh.get("/appeals").json()["error"]["message"].startswith("请先登录")

    operator = ApiClient(world.operator, HTTP_ACCEPT_LANGUAGE="zh-hans")
    # Refused by the service (an empty title, a latitude without a longitude).
    response = operator.post("/appeals", {"title": " ", "description": "东门路灯坏了", "lat": 22.7})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == "诉求信息有误。"
    assert error["fields"] == {"title": ["此项为必填项。"], "lon": ["纬度和经度须同时填写。"]}
    # Refused by the request schema (pydantic's messages are replaced by ours).
    response = operator.post(
        "/appeals", {"description": "东门路灯坏了", "lat": 95, "category": [1], "urgency": "x"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["message"] == "请求内容有误。"
    assert error["fields"]["title"] == ["此项为必填项。"]
    assert error["fields"]["lat"] == ["不能大于 90。"]
    assert error["fields"]["category"] == ["请填写类别编号（数字）或类别编码（文本）。"]
    assert error["fields"]["urgency"][0].startswith("可选值为")


def test_api_errors_are_in_english_for_an_english_client(world):
    en = ApiClient(HTTP_ACCEPT_LANGUAGE="en")
    response = en.get("/track/ABCD-EFGH-JKMN")
    assert response.json()["error"]["message"] == "No appeal has this tracking code."
    operator = ApiClient(world.operator, HTTP_ACCEPT_LANGUAGE="en")
    response = operator.post("/appeals", {"title": "", "description": "东门路灯坏了"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["title"] == ["This field is required."]
    response = operator.post("/appeals", {"description": "东门路灯坏了", "lat": 95})
    assert response.json()["error"]["fields"] == {
        "title": ["This field is required."],
        "lat": ["Must be at most 90."],
    }
