"""The category admin's bulk actions: an import's unwanted categories are switched off at once."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from suqiu.directory import snapshot
from suqiu.directory.models import Category

pytestmark = pytest.mark.django_db


def test_deactivate_and_activate_selected_categories(world):
    parent = Category.objects.create(code="IMPORTED", name="历史导入", name_en="Imported")
    sewer = Category.objects.create(code="IMP.SEWER", name="Sewer", name_en="Sewer", parent=parent)
    muni = Category.objects.create(code="IMP.MUNI", name="MUNI", name_en="MUNI", parent=parent)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.admin)
    listing = client.get("/admin/directory/category/?q=IMP.")
    assert listing.status_code == 200 and "Deactivate selected categories" in listing.text
    before = snapshot.version("directory")
    response = client.post(
        "/admin/directory/category/",
        {"action": "deactivate", "_selected_action": [sewer.pk, muni.pk, world.cat_road.pk]},
        follow=True,
    )
    assert "3 categories deactivated." in response.text
    assert not Category.objects.filter(
        pk__in=[sewer.pk, muni.pk, world.cat_road.pk], is_active=True
    )
    assert snapshot.version("directory") != before  # running processes rebuild their copies
    assert LogEntry.objects.filter(object_id=str(sewer.pk), change_message__contains="is_active")
    # Switching them back counts only the ones that change.
    sewer.is_active = True
    sewer.save()
    response = client.post(
        "/admin/directory/category/",
        {"action": "activate", "_selected_action": [sewer.pk, muni.pk]},
        follow=True,
    )
    assert "1 category activated." in response.text
    assert Category.objects.get(pk=muni.pk).is_active
    # In Chinese, as every admin string.
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(world.admin)
    response = client.post(
        "/admin/directory/category/",
        {"action": "deactivate", "_selected_action": [muni.pk]},
        follow=True,
    )
    assert "已停用 1 个类别。" in response.text
    assert "停用所选类别" in response.text
