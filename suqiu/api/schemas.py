"""Shapes shared by every router: the error body and page parameters."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50


class ErrorDetail(Schema):
    code: str = Field(description="Stable machine-readable code, e.g. validation_error.")
    message: str
    fields: dict[str, list[str]] | None = Field(
        None, description="Per-field messages, when the input was at fault."
    )


class ErrorOut(Schema):
    error: ErrorDetail


# The errors every authenticated endpoint may answer with, for the OpenAPI document.
AUTH_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut}
COMMON_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut}


def page_of(qs: QuerySet, *, page: int, page_size: int) -> tuple[int, list]:
    """(total count, the rows of one page); pages start at 1, a page past the end is empty."""
    count = qs.count()
    start = (page - 1) * page_size
    rows = list(qs[start : start + page_size]) if start < count else []
    return count, rows
