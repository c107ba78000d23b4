"""The rates table as CSV and XLSX: the same cells as the page (``RateRow.cells``)."""

from __future__ import annotations

import csv
import io

from suqiu.rates.selectors import COLUMNS, GROUP_LABELS, RatesTable


def header(table: RatesTable) -> list[str]:
    return [str(GROUP_LABELS[table.group_by]), *(str(h) for _k, h, _kind in COLUMNS)]


def body(table: RatesTable) -> list[list]:
    rows = [[r.label, *r.cells()] for r in table.rows]
    rows.append([table.total.label, *table.total.cells()])
    return rows


def filename(table: RatesTable, ext: str) -> str:
    return f"rates-{table.group_by}-{table.date_from:%Y%m%d}-{table.date_to:%Y%m%d}.{ext}"


def to_csv(table: RatesTable) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header(table))
    for row in body(table):
        writer.writerow(["" if v is None else v for v in row])
    # With a byte-order mark, so spreadsheet programs read the Chinese names as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: RatesTable) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "rates"
    sheet.append(header(table))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in body(table):
        sheet.append(row)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 24
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
