"""Where other apps plug into the workbench: panels on the appeal page and links in the navigation.

Apps register from their ``AppConfig.ready`` (explicitly, like ``services.register_after_action``),
so the appeals app never imports them and each capability keeps its page parts in its own app:

    register_panel(Panel("triage", "triage/_panel.html", triage_panel, slot="side", order=10))
    register_nav(NavItem("hotspots", _("Hotspots"), "hotspots:list", visible=is_dispatcher))

A panel's ``context(request, appeal)`` returns the template's context (the appeal page passes it
as ``panel``), or None to show nothing on this appeal. ``request.actor`` is the signed-in staff
actor; anything the panel shows must be scoped to what that actor may see.

Slots on the appeal page: ``facts`` (rows inside the facts list: ``<dt>``/``<dd>`` pairs),
``side`` (cards below the actions), ``main`` (full-width cards above the timeline).

An app that writes notes on appeals (``services.appeal_record_external`` with its own
``data["source"]``) registers how to say them again from the event's data, so the timeline
reads them in the reader's language and not in that of the request or worker that wrote them:

    register_note("open311", notes.reason)   # notes.reason(event) -> str, "" = the stored note
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SLOTS = ("facts", "side", "main")


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: Callable[[Any, Any], dict | None]  # (request, appeal) -> context or None
    slot: str = "side"
    order: int = 50

    def __post_init__(self):
        if self.slot not in SLOTS:
            raise ValueError(f"slot must be one of {SLOTS}")


@dataclass(frozen=True)
class NavItem:
    name: str
    label: Any  # a lazy translation
    url_name: str
    visible: Callable[[Any], bool] = field(default=lambda actor: True)  # (actor) -> bool
    badge: Callable[[Any], int | None] | None = None  # (request) -> a count to show, or None
    order: int = 50
    # The URL namespace whose every page this link stands for ("hotspots": the list, a hotspot,
    # a project...); "" = only the page it links to.
    section: str = ""


_PANELS: dict[str, Panel] = {}
_NAV: dict[str, NavItem] = {}
_NOTES: dict[str, Callable[[Any], str]] = {}


def register_panel(panel: Panel) -> None:
    """Add (or replace, by name) a panel of the workbench appeal page."""
    _PANELS[panel.name] = panel


def register_nav(item: NavItem) -> None:
    """Add (or replace, by name) a link in the workbench navigation."""
    _NAV[item.name] = item


def register_note(source: str, reason: Callable[[Any], str]) -> None:
    """Word, at read time, the notes of events whose ``data["source"]`` is ``source``:
    ``reason(event)`` returns the note in the active language, or "" to show the stored one."""
    _NOTES[source] = reason


def note_for(event) -> str:
    """An event's note in the reader's language, from its app's wording; "" when no app words
    it (the caller shows the stored ``event.reason``)."""
    data = event.data if isinstance(event.data, dict) else {}
    reason = _NOTES.get(data.get("source")) if isinstance(data.get("source"), str) else None
    return reason(event) if reason is not None else ""


@dataclass(frozen=True)
class RenderedPanel:
    name: str
    template: str
    context: dict


def panels_for(request, appeal) -> dict[str, list[RenderedPanel]]:
    """The panels to show on this appeal for this request, by slot, in order."""
    out: dict[str, list[RenderedPanel]] = {slot: [] for slot in SLOTS}
    for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.name)):
        ctx = panel.context(request, appeal)
        if ctx is not None:
            out[panel.slot].append(RenderedPanel(panel.name, panel.template, ctx))
    return out


@dataclass(frozen=True)
class RenderedNav:
    name: str
    label: Any
    url_name: str
    badge: int | None
    current: bool = False


def nav_for(request, actor) -> list[RenderedNav]:
    """The extra navigation links this actor sees, in order; ``current`` marks the one the
    page belongs to."""
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""
    namespace = match.namespace if match else ""
    out = []
    for item in sorted(_NAV.values(), key=lambda i: (i.order, i.name)):
        if not item.visible(actor):
            continue
        badge = item.badge(request) if item.badge is not None else None
        current = view_name == item.url_name or bool(item.section and namespace == item.section)
        out.append(RenderedNav(item.name, item.label, item.url_name, badge, current))
    return out
