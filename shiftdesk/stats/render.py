"""Reports out: Rich tables, Markdown (e-mail), CSV, JSON and xlsx (openpyxl).

Every format is drawn from one layout (``sheets``): a report becomes a list of ``Sheet``s —
metric sheets (label, value) and list sheets (one row per record) — so the terminal, the
e-mail and the spreadsheet always show the same figures. Labels and headers go through the
catalog (``stats.*`` keys), so they are Chinese when the locale is zh_CN; JSON and CSV keep
the stable English keys scripts depend on.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shiftdesk.i18n import has, t

#: list sheets: report path -> (sheet key, columns)
UNFINISHED_COLUMNS = [
    "id",
    "unit",
    "location",
    "trade",
    "priority",
    "team",
    "assignee",
    "stage",
    "reported_at",
    "reason",
    "summary",
]
BREACH_COLUMNS = ["record", "id", "clock", "rule", "started", "due", "actual", "late_seconds"]
REWORK_COLUMNS = [
    "id",
    "rework_of",
    "unit",
    "location",
    "trade",
    "assignee",
    "original_assignee",
    "original_completed_at",
    "original_result",
    "reported_at",
    "stage",
    "summary",
]
NOTABLE_COLUMNS = [
    "id",
    "received_at",
    "unit",
    "level",
    "class",
    "department",
    "status",
    "repeat",
    "escalation_reason",
    "summary",
]
BREAKDOWN_COLUMNS = ["created", "completed", "uncompleted", "cancelled", "rework"]
UNSATISFIED_COLUMNS = [
    "id",
    "kind",
    "done_at",
    "work_order_id",
    "complaint_id",
    "unit",
    "trade",
    "assignee",
    "note",
]
REPEAT_COMPLAINT_COLUMNS = ["unit", "department", "complaints", "first", "last"]
REPEAT_REPAIR_COLUMNS = ["unit", "trade", "orders", "first", "last"]
DAILY_COLUMNS = ["date", "calls", "complaints", "orders_created", "orders_completed"]
HOURLY_COLUMNS = ["hour", "calls"]

#: what a terminal shows of the wide lists
UNFINISHED_BRIEF = ["id", "unit", "trade", "priority", "assignee", "stage", "reason"]
BREACH_BRIEF = ["record", "id", "clock", "rule", "due", "actual", "late_seconds"]
NOTABLE_BRIEF = ["id", "received_at", "unit", "level", "department", "status"]
REWORK_BRIEF = ["id", "rework_of", "unit", "trade", "assignee", "original_assignee"]
UNSATISFIED_BRIEF = ["id", "done_at", "work_order_id", "unit", "trade", "assignee", "note"]

#: columns whose values are stable keys shown translated (trade, stage ...)
TRANSLATED_VALUES = {
    "trade",
    "priority",
    "stage",
    "record",
    "clock",
    "kind",
    "level",
    "status",
    "team",
}
#: metrics holding seconds / ratios, shown as durations / percentages to people
DURATION_KEYS = {"median_dispatch_seconds", "median_arrival_seconds", "late_seconds"}
#: columns holding site-local ISO instants: short for people, real date-times in xlsx
TIME_KEYS = {
    "started",
    "due",
    "actual",
    "reported_at",
    "received_at",
    "done_at",
    "first",
    "last",
    "original_completed_at",
    "generated_at",
}
RATE_KEYS = {"callback_rate", "rate"}


@dataclass
class Sheet:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    #: a metric sheet: two columns, label and value
    metrics: bool = False
    #: (label column, value column) to chart, if any
    chart: tuple[int, int] | None = None
    #: the columns a terminal shows (None: all); files always get every column
    brief: list[str] | None = None

    @property
    def headers(self) -> list[str]:
        return [column_label(c) for c in self.columns]


# ---------------------------------------------------------------------------- labels


def column_label(column: str) -> str:
    key = f"stats.col.{column}"
    return t(key) if has(key) else column


def metric_label(key: str) -> str:
    name = f"stats.metric.{key}"
    return t(name) if has(name) else key


def value_label(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    key = f"stats.value.{text}"
    return t(key) if has(key) else text


def display(key: str, value: Any) -> str:
    """A value as people read it: durations as m:ss, rates as percentages, None as —."""
    if value is None:
        return "—"
    if key in DURATION_KEYS and isinstance(value, int | float):
        seconds = int(value)
        sign = "-" if seconds < 0 else ""
        minutes, secs = divmod(abs(seconds), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}" if hours else f"{sign}{minutes}:{secs:02d}"
    if key in TIME_KEYS and isinstance(value, str) and len(value) >= 16:
        return f"{value[5:10]} {value[11:16]}"  # 2026-11-20T09:15:00+08:00 -> 11-20 09:15
    if key in RATE_KEYS and isinstance(value, int | float):
        return f"{value * 100:.1f}%"
    if isinstance(value, bool):
        return t("stats.yes") if value else t("stats.no")
    if key in TRANSLATED_VALUES:
        return value_label(value)
    return str(value)


def _generated(report: dict[str, Any]) -> str:
    """ "Generated 2026-11-22 10:00 (Asia/Shanghai)": the instant the verdicts are judged at."""
    when = str(report["generated_at"])[:16].replace("T", " ")
    return t("stats.generated", at=when, tz=report["timezone"])


def report_title(report: dict[str, Any]) -> str:
    kind = report["report"]
    when = report.get("date") or report.get("period")
    return t(f"stats.title.{kind}", site=report["site_name"], code=report["site"], when=when)


# ---------------------------------------------------------------------------- layout


def _metric_rows(section: dict[str, Any], skip: Sequence[str] = ()) -> list[list[Any]]:
    """Scalars as (key, value); dicts of counts as (key.sub, value); lists are sheets."""
    rows: list[list[Any]] = []
    for key, value in section.items():
        if key in skip or isinstance(value, list):
            continue
        if isinstance(value, dict):
            for sub, n in value.items():
                if isinstance(n, int | float | str) or n is None:
                    rows.append([f"{key}.{sub}", n])
        else:
            rows.append([key, value])
    return rows


def _metrics(key: str, section: dict[str, Any], skip: Sequence[str] = ()) -> Sheet:
    return Sheet(
        key=key,
        title=t(f"stats.section.{key}"),
        columns=["metric", "value"],
        rows=_metric_rows(section, skip),
        metrics=True,
    )


def _list(key: str, items: list[dict[str, Any]], columns: list[str], **kw: Any) -> Sheet:
    return Sheet(
        key=key,
        title=t(f"stats.section.{key}"),
        columns=columns,
        rows=[[item.get(c) for c in columns] for item in items],
        **kw,
    )


def _summary(report: dict[str, Any]) -> Sheet:
    keys = ["site", "site_name", "date", "period", "from", "to", "timezone", "generated_at"]
    return Sheet(
        key="summary",
        title=t("stats.section.summary"),
        columns=["metric", "value"],
        rows=[[k, report[k]] for k in keys if k in report],
        metrics=True,
    )


def _same_axis(report: dict[str, Any]) -> tuple[str, ...]:
    """Under scheme A the class is the severity: show it once to people."""
    return ("by_severity",) if report["complaints"]["scheme"] == "A" else ()


def sheets(report: dict[str, Any]) -> list[Sheet]:
    """The report as sheets, in reading order (the same for every format)."""
    out = [_summary(report), _metrics("calls", report["calls"])]
    if report["report"] == "nightly":
        out.append(_list("calls_by_hour", report["calls"]["by_hour"], HOURLY_COLUMNS, chart=(0, 1)))
        out.append(_metrics("complaints", report["complaints"], skip=_same_axis(report)))
        out.append(_metrics("work_orders", report["work_orders"]))
        out.append(
            _list(
                "unfinished",
                report["work_orders"]["unfinished"],
                UNFINISHED_COLUMNS,
                brief=UNFINISHED_BRIEF,
            )
        )
        out.append(_metrics("parcels", report["parcels"]))
        out.append(_list("breaches", report["breaches"], BREACH_COLUMNS, brief=BREACH_BRIEF))
        return out
    complaints = report["complaints"]
    orders = report["work_orders"]
    callbacks = report["callbacks"]
    flags = report["flags"]
    out += [
        _list("daily", report["daily"], DAILY_COLUMNS, chart=(0, 1)),
        _metrics("complaints", complaints, skip=("by_department", *_same_axis(report))),
        Sheet(
            key="complaints_by_department",
            title=t("stats.section.complaints_by_department"),
            columns=["department", "complaints"],
            rows=[[d or "—", n] for d, n in complaints["by_department"].items()],
        ),
        _list("notable_complaints", complaints["notable"], NOTABLE_COLUMNS, brief=NOTABLE_BRIEF),
        _metrics("work_orders", orders),
        _list("by_trade", orders["by_trade"], ["trade", *BREAKDOWN_COLUMNS]),
        _list("by_assignee", orders["by_assignee"], ["assignee", *BREAKDOWN_COLUMNS]),
        _list("unfinished", orders["unfinished"], UNFINISHED_COLUMNS, brief=UNFINISHED_BRIEF),
        _list("rework_orders", orders["rework_orders"], REWORK_COLUMNS, brief=REWORK_BRIEF),
        _metrics("callbacks", callbacks),
        _list(
            "unsatisfied_callbacks",
            callbacks["unsatisfied"],
            UNSATISFIED_COLUMNS,
            brief=UNSATISFIED_BRIEF,
        ),
        _metrics("parcels", report["parcels"]),
        _list("repeat_complaints", flags["repeat_complaints"], REPEAT_COMPLAINT_COLUMNS),
        _list("repeat_repairs", flags["repeat_repairs"], REPEAT_REPAIR_COLUMNS),
        Sheet(
            key="breaches_by_rule",
            title=t("stats.section.breaches_by_rule"),
            columns=["rule", "breaches"],
            rows=[[r, n] for r, n in report["breaches_by_rule"].items()],
        ),
    ]
    return out


def _label_key(metric_key: str) -> str:
    """``by_category.repair`` -> "By category: Repair" in the current language."""
    if "." in metric_key:
        group, sub = metric_key.split(".", 1)
        return f"{metric_label(group)}: {value_label(sub)}"
    return metric_label(metric_key)


def _cells(sheet: Sheet, row: list[Any]) -> list[str]:
    """A row as strings for people (table, Markdown)."""
    if sheet.metrics:
        key, value = row
        return [_label_key(key), display(key.rsplit(".", 1)[-1], value)]
    return [display(col, v) for col, v in zip(sheet.columns, row, strict=True)]


def _bar_chart(sheet: Sheet, width: int = 40) -> list[str]:
    """A text bar chart of a sheet's chart columns (calls per hour / per day)."""
    if sheet.chart is None or not sheet.rows:
        return []
    label_i, value_i = sheet.chart
    values = [int(r[value_i] or 0) for r in sheet.rows]
    peak = max(values) or 1
    label_w = max(len(str(r[label_i])) for r in sheet.rows)
    lines = []
    for row, n in zip(sheet.rows, values, strict=True):
        bar = "█" * round(n / peak * width) if n else ""
        lines.append(f"{str(row[label_i]).rjust(label_w)} │{bar} {n}")
    return lines


# ---------------------------------------------------------------------------- formats


def to_json(reports: list[dict[str, Any]], *, many: bool) -> str:
    data: Any = reports if many else reports[0]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_csv(reports: list[dict[str, Any]]) -> str:
    """Long format for spreadsheets and scripts: site, period, section, metric, value.

    Stable English keys (``work_orders``, ``dispatch_late``, ``by_category.repair``);
    the lists (unfinished orders, breaches ...) are in the JSON, Markdown and xlsx forms.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["site", "period", "section", "metric", "value"])
    for report in reports:
        when = report.get("date") or report.get("period")
        for sheet in sheets(report):
            if sheet.metrics and sheet.key != "summary":
                for key, value in sheet.rows:
                    writer.writerow(
                        [report["site"], when, sheet.key, key, "" if value is None else value]
                    )
            elif sheet.key in ("calls_by_hour", "daily"):
                for row in sheet.rows:
                    for col, value in zip(sheet.columns[1:], row[1:], strict=True):
                        writer.writerow([report["site"], when, sheet.key, f"{row[0]}.{col}", value])
    return buf.getvalue()


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(reports: list[dict[str, Any]]) -> str:
    """Markdown for e-mail (S-1: the daily figures to the CS manager)."""
    lines: list[str] = []
    for report in reports:
        lines += [f"# {report_title(report)}", ""]
        lines.append(_generated(report))
        lines.append("")
        for sheet in sheets(report)[1:]:
            lines += [f"## {sheet.title}", ""]
            if not sheet.rows:
                lines += [f"_{t('stats.none')}_", ""]
                continue
            headers = (
                [t("stats.col.metric"), t("stats.col.value")] if sheet.metrics else sheet.headers
            )
            lines.append("| " + " | ".join(_md_escape(h) for h in headers) + " |")
            lines.append("|" + "|".join(" --- " for _ in headers) + "|")
            for row in sheet.rows:
                lines.append("| " + " | ".join(_md_escape(c) for c in _cells(sheet, row)) + " |")
            lines.append("")
            chart = _bar_chart(sheet, width=30)
            if chart:
                lines += ["```", *chart, "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def print_tables(reports: list[dict[str, Any]], console: Any = None) -> None:
    """Rich tables for the terminal: metric tables side by side, lists and a chart below."""
    from rich.columns import Columns
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console()
    for report in reports:
        console.rule(f"[bold]{report_title(report)}")
        console.print(Text(_generated(report), style="dim"))
        metric_tables = []
        others = []
        for sheet in sheets(report)[1:]:
            if sheet.metrics:
                table = Table(title=sheet.title, show_header=False, title_justify="left")
                table.add_column(style="cyan")
                table.add_column(justify="right")
                for row in sheet.rows:
                    table.add_row(*_cells(sheet, row))
                metric_tables.append(table)
            else:
                others.append(sheet)
        console.print(Columns(metric_tables, equal=False, expand=False))
        for sheet in others:
            if sheet.chart is not None:
                if any(r[sheet.chart[1]] for r in sheet.rows):
                    console.print(Text(sheet.title, style="bold"))
                    console.print("\n".join(_bar_chart(sheet, width=40)), highlight=False)
                continue
            if not sheet.rows:
                console.print(Text(f"{sheet.title}: {t('stats.none')}", style="dim"))
                continue
            shown = sheet.brief or sheet.columns
            index = [sheet.columns.index(c) for c in shown]
            table = Table(title=sheet.title, title_justify="left")
            for col in shown:
                table.add_column(column_label(col), overflow="fold")
            for row in sheet.rows:
                cells = _cells(sheet, row)
                table.add_row(*(cells[i] for i in index))
            console.print(table)


# ---------------------------------------------------------------------------- xlsx


def _merge(reports: list[dict[str, Any]]) -> list[Sheet]:
    """One workbook for several sites: metric sheets get a value column per site, list
    sheets a leading site column. One site keeps the plain (label, value) layout."""
    per_site = [(r["site"], sheets(r)) for r in reports]
    if len(per_site) == 1:
        return per_site[0][1]
    merged: list[Sheet] = []
    for i, first in enumerate(per_site[0][1]):
        if first.metrics:
            labels: list[str] = []
            values: dict[tuple[str, str], Any] = {}
            for site, site_sheets in per_site:
                for key, value in site_sheets[i].rows:
                    if key not in labels:
                        labels.append(key)
                    values[(site, key)] = value
            sites = [s for s, _ in per_site]
            merged.append(
                Sheet(
                    key=first.key,
                    title=first.title,
                    columns=["metric", *sites],
                    rows=[[k, *(values.get((s, k)) for s in sites)] for k in labels],
                    metrics=True,
                )
            )
        else:
            rows = [[site, *row] for site, site_sheets in per_site for row in site_sheets[i].rows]
            merged.append(
                Sheet(key=first.key, title=first.title, columns=["site", *first.columns], rows=rows)
            )
    return merged


def _sheet_name(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    name = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "sheet"
    base, n = name, 2
    while name in used:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name


def _xlsx_cell(col: str, value: Any) -> Any:
    """Stable keys translated; local ISO instants as Excel date-times (site time)."""
    if col in TRANSLATED_VALUES:
        return value_label(value)
    if col in TIME_KEYS and isinstance(value, str):
        from datetime import datetime

        return datetime.fromisoformat(value).replace(tzinfo=None)
    return value


def write_xlsx(reports: list[dict[str, Any]], path: Path) -> None:
    """One sheet per section, headers in the current language, a bar chart of calls."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for sheet in _merge(reports):
        ws = wb.create_sheet(_sheet_name(sheet.title, used))
        if sheet.metrics:
            headers = [
                column_label("metric"),
                *(
                    column_label("value") if len(sheet.columns) == 2 else c
                    for c in sheet.columns[1:]
                ),
            ]
            ws.append(headers)
            for key, *values in sheet.rows:
                label = _label_key(key) if sheet.key != "summary" else metric_label(key)
                ws.append([label, *values])
        else:
            ws.append(sheet.headers)
            for row in sheet.rows:
                ws.append([_xlsx_cell(col, v) for col, v in zip(sheet.columns, row, strict=True)])
            for idx, col in enumerate(sheet.columns, start=1):
                if col in TIME_KEYS:
                    for (cell,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                        cell.number_format = "yyyy-mm-dd hh:mm"
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for idx, col_cells in enumerate(ws.columns, start=1):
            width = max((len(str(c.value)) if c.value is not None else 0) for c in col_cells)
            ws.column_dimensions[get_column_letter(idx)].width = min(max(8, width + 2), 60)
        if sheet.chart is not None and sheet.rows and len(reports) == 1:
            label_i, value_i = sheet.chart
            chart = BarChart()
            chart.title = sheet.title
            chart.legend = None
            data = Reference(ws, min_col=value_i + 1, min_row=1, max_row=len(sheet.rows) + 1)
            cats = Reference(ws, min_col=label_i + 1, min_row=2, max_row=len(sheet.rows) + 1)
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(cats)
            chart.width, chart.height = 24, 9
            ws.add_chart(chart, f"{get_column_letter(len(sheet.columns) + 2)}2")
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
