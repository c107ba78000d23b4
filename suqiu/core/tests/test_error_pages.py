"""The site's own error pages: in the visitor's language, with a way back, never Django's bare
English "Not Found" (production runs with DEBUG off, as the tests do)."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.views import defaults

pytestmark = pytest.mark.django_db


def test_an_unknown_address_gets_the_site_404_in_chinese_then_english(world):
    client = Client()
    page = client.get("/workbench/no-such-page/")
    html = page.content.decode()
    assert page.status_code == 404
    assert "页面不存在" in html and "/workbench/no-such-page/" in html
    assert 'href="/"' in html and 'class="topbar"' in html
    assert "工作台" not in html  # no workbench link for a visitor
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/no-such-page/")
    assert english.status_code == 404 and "Page not found" in english.content.decode()


def test_staff_get_a_way_back_to_the_workbench(world):
    client = Client()
    client.force_login(world.dispatcher)
    html = client.get("/workbench/no-such-page/").content.decode()
    assert "页面不存在" in html and 'href="/workbench/"' in html


def test_the_500_page_renders_without_a_request_context():
    request = RequestFactory().get("/anything")
    with translation.override("zh-hans"):
        page = defaults.server_error(request)
    html = page.content.decode()
    assert page.status_code == 500
    assert "出错了" in html and "不会只保存一半" in html


def test_an_expired_form_says_so_and_loses_nothing(world):
    client = Client(enforce_csrf_checks=True)
    page = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = page.content.decode()
    assert page.status_code == 403
    assert "表单已过期" in html and "内容未保存" in html


@pytest.mark.parametrize(
    ("handler", "status", "text"),
    [(defaults.permission_denied, 403, "无权访问"), (defaults.bad_request, 400, "请求无效")],
)
def test_403_and_400_pages(handler, status, text):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    request = RequestFactory().get("/anything")
    request.user = AnonymousUser()
    with translation.override("zh-hans"):
        page = handler(request, PermissionDenied())
    assert page.status_code == status and text in page.content.decode()


def test_a_number_no_database_holds_is_a_400_page_not_a_500(world):
    """The admin re-renders an invalid add form with the chosen id in its autocomplete widget:
    an id beyond 64 bits reached the query (a 500 on SQLite)."""
    from suqiu.directory.models import Category

    world.admin.is_staff = True
    world.admin.save()
    client = Client(raise_request_exception=False)
    client.force_login(world.admin)
    before = Category.objects.count()
    page = client.post(
        "/admin/directory/category/add/", {"code": "X", "name": "x", "parent": "9" * 20}
    )
    # PostgreSQL answers the query (no such row): the form's own error; SQLite overflows
    # in the query: the 400 page. Never a 500, never a saved row.
    if page.status_code == 200:
        assert page.context["adminform"].form.errors["parent"]
    else:
        assert page.status_code == 400 and "请求无效" in page.content.decode()
    assert Category.objects.count() == before
