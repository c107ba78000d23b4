"""The rates page of the workbench (/workbench/rates/) and its CSV and XLSX exports.

Reads through ``selectors.rates`` with the request's actor; a role that may not read rates gets
the 403 page, bad filters are shown on the form (422).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from suqiu.appeals.views_workbench import staff_required
from suqiu.core.errors import ValidationFailed
from suqiu.rates import exports, selectors
from suqiu.rates.forms import RatesFilterForm


def _table(request: HttpRequest, *, with_rankings: bool = False):
    form = RatesFilterForm(request.GET)  # every field is optional: no filter, the defaults
    if not form.is_valid():
        return form, None
    try:
        table = selectors.rates(request.actor, **form.query(), with_rankings=with_rankings)
    except ValidationFailed as exc:
        for name, messages in exc.fields.items():
            field = {"from": "date_from", "to": "date_to"}.get(name, name)
            form.add_error(field if field in form.fields else None, messages)
        return form, None
    return form, table


@require_GET
@staff_required
def page(request: HttpRequest) -> HttpResponse:
    if not selectors.may_read_rates(request.actor):
        return render(request, "workbench/forbidden.html", status=403)
    form, table = _table(request, with_rankings=True)
    context = {
        "form": form,
        "table": table,
        "columns": selectors.COLUMNS,
        "definitions": selectors.DEFINITIONS,
        "query": request.GET.urlencode(),
    }
    if table is not None:
        context["group_label"] = selectors.GROUP_LABELS[table.group_by]
        context["rankings"] = selectors.rankings(table)
    return render(request, "rates/page.html", context, status=200 if table else 422)


@require_GET
@staff_required
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    if not selectors.may_read_rates(request.actor):
        return render(request, "workbench/forbidden.html", status=403)
    form, table = _table(request)
    if table is None:
        return HttpResponse(
            "\n".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()),
            status=422,
            content_type="text/plain; charset=utf-8",
        )
    if fmt == "csv":
        body, ctype = exports.to_csv(table), "text/csv; charset=utf-8"
    else:
        body = exports.to_xlsx(table)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(table, fmt)}"'
    return response
