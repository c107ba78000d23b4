"""Template helpers shared by every page."""

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localized(obj) -> str:
    """A directory object's name in the active language (its ``label``: ``name_en`` for English
    when set)."""
    if obj is None or obj == "":
        return ""
    if hasattr(obj, "label"):
        return obj.label(get_language() or "")
    return getattr(obj, "name", str(obj))


@register.filter
def enumeration(items) -> str:
    """Names listed in the page's language: "甲、乙" in Chinese, "A, B" in English."""
    from suqiu.core.text import enumeration as listed

    return listed(items or ())
