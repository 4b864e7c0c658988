"""Writing an archive: every table as CSV and JSON Lines, a manifest, and SHA256SUMS.

Rows stream from one database snapshot (a read transaction; REPEATABLE READ on
PostgreSQL) in primary-key order, a few thousand at a time, into staging files next to
the target; the container is then written from them in a fixed order and renamed into
place, so a reader never sees half an archive. Nothing in it depends on when or where it
was written: the same data and arguments give the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select, text, type_coerce
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import NullType

from shiftdesk import __version__, audit
from shiftdesk.archive import pii
from shiftdesk.archive.codec import encoder_for
from shiftdesk.archive.container import ArchiveWriter, MemberSink
from shiftdesk.archive.periods import SINCE_LAST, Period, archive_name
from shiftdesk.archive.selection import AUDIT, Selector
from shiftdesk.db import Actor, transact
from shiftdesk.errors import NotFound, PermissionDenied
from shiftdesk.i18n import t
from shiftdesk.models import ArchiveRun, Role, Site
from shiftdesk.security import require_role

FORMAT_NAME = "shiftdesk-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
BATCH = 5000

#: progress(table, rows done, rows in the table or None)
Progress = Callable[[str, int, int | None], None]


def _line_encoder() -> Callable[[Any], str]:
    """One row as compact JSON; the C encoder built once (json.dumps rebuilds it per call,
    which costs more than the encoding at a million rows)."""
    from json import encoder as std

    def unsupported(value: Any) -> Any:
        raise TypeError(f"cannot archive a {type(value).__name__} value")

    make = getattr(std, "c_make_encoder", None)
    if make is None:
        return json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    chunks = make(None, unsupported, std.encode_basestring, None, ":", ",", False, False, True)
    return lambda row: "".join(chunks(row, 0))


_encode_line = _line_encoder()


def tables() -> list[Table]:
    """Every table of the schema, parents before children (foreign-key order)."""
    from sqlmodel import SQLModel

    import shiftdesk.models  # noqa: F401  (registers every table in the metadata)

    return list(SQLModel.metadata.sorted_tables)


def member_names(table: str) -> tuple[str, str]:
    return f"jsonl/{table}.jsonl", f"csv/{table}.csv"


@dataclass
class ExportOptions:
    out_dir: Path
    fmt: str = "tar.gz"
    include_pii: bool = False
    csv_bom: bool = False
    compress_level: int = 6


@dataclass
class FileEntry:
    name: str
    sha256: str
    size: int

    def manifest(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "bytes": self.size}


@dataclass
class TableEntry:
    name: str
    columns: list[str]
    rows: int
    masked: dict[str, str] = field(default_factory=dict)


@dataclass
class ExportResult:
    path: Path
    sha256: str
    size: int
    site_code: str
    period: Period
    pii_included: bool
    tables: list[TableEntry]

    @property
    def rows(self) -> int:
        return sum(tb.rows for tb in self.tables)


@dataclass
class _Plan:
    """How a table's raw rows become archive rows, fast (see ``compile_rows``)."""

    transform: Callable[[list[Any]], list[Any]]
    #: columns scanned for phone and ID numbers (batch by batch, see ``_scrub``)
    free_text: list[int]
    row_masks: list[Callable[[list[Any]], None]]


def compile_rows(
    steps: dict[int, Callable[[Any], Any]], width: int, lists: bool, *, tuples: bool = False
) -> Any:
    """A function turning a batch of rows into converted rows in one comprehension.

    Generated from column positions only (``[r[0], s1(r[1]), r[2]]``): a per-value loop
    in Python costs more than encoding the whole row as CSV and JSON. ``tuples`` makes
    tuples (what a DBAPI ``executemany`` takes), ``lists`` lists (to be masked further).
    """
    if not steps and not lists and not tuples:
        return lambda batch: batch
    cells = ", ".join(_cell(i, steps.get(i)) for i in range(width))
    row = f"({cells},)" if tuples else f"[{cells}]"
    namespace: dict[str, Any] = {f"s{i}": fn for i, fn in steps.items()}
    exec(f"def transform(batch):\n    return [{row} for r in batch]\n", namespace)
    return namespace["transform"]


def _cell(i: int, step: Callable[[Any], Any] | None) -> str:
    if step is None:
        return f"r[{i}]"
    template = getattr(step, "inline", None)
    if template is None:
        return f"s{i}(r[{i}])"
    return str(template).format(v=f"r[{i}]", f=f"s{i}")


def _plan(table: Table, dialect: Any, include_pii: bool) -> _Plan:
    columns = list(table.columns)
    steps: dict[int, Callable[[Any], Any]] = {}
    for i, column in enumerate(columns):
        encode = encoder_for(column, dialect)
        if encode is not None:
            steps[i] = encode
    free_text: list[int] = []
    row_masks: list[Callable[[list[Any]], None]] = []
    if not include_pii:
        snapshot_cols: list[int] = []
        for i, column in enumerate(columns):
            if table is AUDIT and column.name in ("before", "after"):
                snapshot_cols.append(i)
                continue
            kind = pii.pii_kind(table, column)
            if kind is not None:
                mask = pii.memoised(pii.MASKS[kind])
                encode = steps.get(i)
                steps[i] = mask if encode is None else _chain(encode, mask)
            elif pii.is_free_text(column):
                free_text.append(i)
        if snapshot_cols:
            entity_i = [c.name for c in columns].index("entity")
            by_name = {tb.name: tb for tb in tables()}

            def mask_row(row: list[Any]) -> None:
                entity = row[entity_i]
                target = by_name.get(entity) if isinstance(entity, str) else None
                for i in snapshot_cols:
                    row[i] = pii.mask_snapshot(row[i], target)

            row_masks.append(mask_row)
    # SQLAlchemy's streamed rows (PostgreSQL) are Row objects, not the tuples JSON takes
    lists = bool(free_text or row_masks) or dialect.name != "sqlite"
    return _Plan(compile_rows(steps, len(columns), lists), free_text, row_masks)


def _chain(first: Callable[[Any], Any], then: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: then(first(value))


def _scrub(rows: list[list[Any]], columns: list[int]) -> None:
    """Mask numbers in free text; a batch without any is skipped in one regex search."""
    for i in columns:
        values = [row[i] for row in rows]
        try:
            text = "\n".join(filter(None, values))  # free text: strings, or NULL
        except TypeError:
            text = "\n".join(v for v in values if isinstance(v, str))
        if pii.may_hold_numbers(text):
            for row in rows:
                row[i] = pii.free_text_mask(row[i])


def _fetch(conn: Connection, query: Any) -> Any:
    """Raw DBAPI rows in batches: SQLAlchemy builds and binds the query, nothing more."""
    if conn.dialect.name == "sqlite":
        result = conn.execute(query)
        cursor = result.cursor
        try:
            while True:
                batch = cursor.fetchmany(BATCH)
                if not batch:
                    return
                yield batch
        finally:
            result.close()
    else:
        # per statement: Connection.execution_options() would change the connection itself
        result = conn.execute(query, execution_options={"stream_results": True, "yield_per": BATCH})
        try:
            yield from result.partitions(BATCH)
        finally:
            result.close()


def _write_table(
    conn: Connection,
    table: Table,
    selector: Selector,
    writer: ArchiveWriter,
    opts: ExportOptions,
    progress: Progress | None,
) -> tuple[TableEntry, MemberSink, MemberSink]:
    columns = list(table.columns)
    names = [c.name for c in columns]
    plan = _plan(table, conn.dialect, opts.include_pii)
    where = selector.where(table)
    query = select(*[type_coerce(c, NullType).label(c.name) for c in columns])
    if where is not None:
        query = query.where(where)
    query = query.order_by(*table.primary_key.columns)
    total = selector.count(table) if progress is not None else None
    jsonl_name, csv_name = member_names(table.name)
    jsonl = writer.open(jsonl_name)
    csv_out = writer.open(csv_name)
    buf = io.StringIO()
    csv_writer = csv.writer(buf)
    if opts.csv_bom:
        csv_out.write("\ufeff".encode())
    csv_writer.writerow(names)
    csv_out.write(buf.getvalue().encode("utf-8"))
    jsonl.write((_encode_line(names) + "\n").encode("utf-8"))
    count = 0
    if progress is not None:
        progress(table.name, 0, total)
    for batch in _fetch(conn, query):
        rows = plan.transform(batch)
        if plan.free_text:
            _scrub(rows, plan.free_text)
        for mask_row in plan.row_masks:
            for row in rows:
                mask_row(row)
        buf.seek(0)
        buf.truncate()
        csv_writer.writerows(rows)
        csv_out.write(buf.getvalue().encode("utf-8"))
        jsonl.write(("\n".join(map(_encode_line, rows)) + "\n").encode("utf-8"))
        count += len(rows)
        if progress is not None:
            progress(table.name, count, total)
    jsonl.close()
    csv_out.close()
    masked = {} if opts.include_pii else pii.masked_columns(table)
    return TableEntry(table.name, names, count, masked), jsonl, csv_out


def build_manifest(
    *,
    schema_version: str,
    site: dict[str, Any],
    period: Period,
    opts: ExportOptions,
    entries: list[TableEntry],
    files: list[FileEntry],
) -> dict[str, Any]:
    masked = {e.name: e.masked for e in entries if e.masked}
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "program_version": __version__,
        "schema_version": schema_version,
        "site": site,
        "period": period.manifest(),
        "pii": {
            "treatment": "included" if opts.include_pii else "masked",
            "masked_columns": masked,
        },
        "encoding": {
            "text": "UTF-8",
            "csv_bom": opts.csv_bom,
            "jsonl": "one JSON array per line; the first line holds the column names",
            "datetimes": "ISO 8601, UTC, microseconds",
            "container": opts.fmt,
            "compress_level": opts.compress_level,
        },
        "tables": [
            {
                "name": e.name,
                "rows": e.rows,
                "columns": e.columns,
                "jsonl": member_names(e.name)[0],
                "csv": member_names(e.name)[1],
            }
            for e in entries
        ],
        "files": [f.manifest() for f in files],
    }


def _schema_version(conn: Connection) -> str:
    return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def export_archive(
    engine: Engine,
    site_code: str,
    period: Period,
    opts: ExportOptions,
    *,
    today: date,
    progress: Progress | None = None,
    actor: Actor | None = None,
) -> ExportResult:
    """Write the archive and return what it holds; nothing is recorded in the database.

    ``opts.include_pii`` needs ``actor`` with the manager or admin role (domain §1, A-4:
    only managers approve transfers of customer data): anyone else, or no actor, is
    refused with PermissionDenied before a file or folder is made. The command line
    proves the actor by PIN; this check holds for every other caller too.
    """
    if opts.include_pii:
        require_pii_export(actor)
    out_dir = opts.out_dir
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    stage = Path(tempfile.mkdtemp(prefix=".shiftdesk-export-", dir=out_dir))
    writer = ArchiveWriter(stage, opts.fmt, opts.compress_level)
    try:
        with engine.connect() as conn:
            if conn.dialect.name != "sqlite":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                site_t = Site.__table__  # type: ignore[attr-defined]
                site = conn.execute(
                    select(site_t.c.id, site_t.c.code, site_t.c.name, site_t.c.timezone).where(
                        site_t.c.code == site_code
                    )
                ).first()
                if site is None:
                    raise NotFound(t("cli.unknown_site", code=site_code))
                sites = conn.execute(select(func.count()).select_from(site_t)).scalar_one()
                schema_version = _schema_version(conn)
                selector = Selector(
                    conn,
                    tables(),
                    site_id=site.id if sites > 1 else None,
                    window=period.window(),
                )
                entries: list[TableEntry] = []
                data_files: list[MemberSink] = []
                csv_files: list[MemberSink] = []
                try:
                    for table in tables():
                        entry, jsonl_sink, csv_sink = _write_table(
                            conn, table, selector, writer, opts, progress
                        )
                        entries.append(entry)
                        data_files.append(jsonl_sink)
                        csv_files.append(csv_sink)
                finally:
                    selector.close()
        # JSON Lines first: a restore reads what it needs and stops before the CSV copies
        files = [FileEntry(f.name, f.sha256, f.size) for f in data_files + csv_files]
        site_info = {"code": site.code, "name": site.name, "timezone": site.timezone}
        manifest = build_manifest(
            schema_version=schema_version,
            site=site_info,
            period=period,
            opts=opts,
            entries=entries,
            files=files,
        )
        manifest_bytes = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
        writer.add(MANIFEST, manifest_bytes)
        sums = [f"{hashlib.sha256(manifest_bytes).hexdigest()}  {MANIFEST}"]
        sums += [f"{f.sha256}  {f.name}" for f in files]
        writer.add(SUMS, ("\n".join(sums) + "\n").encode("ascii"))
        name = archive_name(site.code, period, today, opts.fmt)
        partial = stage / (name + ".partial")
        writer.write(partial, [MANIFEST, SUMS, *(f.name for f in files)])
        target = out_dir / name
        os.replace(partial, target)
    finally:
        writer.close()
        shutil.rmtree(stage, ignore_errors=True)
    return ExportResult(
        path=target,
        sha256=file_sha256(target),
        size=target.stat().st_size,
        site_code=site.code,
        period=period,
        pii_included=opts.include_pii,
        tables=entries,
    )


def require_pii_export(actor: Actor | None) -> None:
    """A-4: personal data leaves the database only for a manager or admin (§1)."""
    if actor is None:
        raise PermissionDenied(t("reliability.pii.no_actor"))
    require_role(actor, Role.MANAGER)


def record_export(
    engine: Engine, result: ExportResult, *, actor: Actor, fmt: str, pii_via: str = ""
) -> int:
    """Remember the archive (the since-last cursor) and put the export in the audit trail.

    A-4/A-6: who took customer data out, when, and whether names and phones were in it.
    """
    period = result.period

    def _record(session: Any) -> int:
        site_t = Site.__table__  # type: ignore[attr-defined]
        site_id = (
            session.connection()
            .execute(select(site_t.c.id).where(site_t.c.code == result.site_code))
            .scalar_one()
        )
        run = ArchiveRun(
            site_id=site_id,
            mode=period.mode,
            period_from=period.start,
            period_to=period.end,
            file_name=result.path.name,
            sha256=result.sha256,
            tables=len(result.tables),
            rows=result.rows,
            pii_included=result.pii_included,
            format=fmt,
        )
        session.add(run)
        session.flush()
        treatment = "included" if result.pii_included else "masked"
        note = f"{result.path.name}; personal data {treatment}"
        if pii_via:
            note += f" ({pii_via})"
        audit.record(
            session,
            "export",
            "archive_run",
            run.id,
            site_id=site_id,
            note=note,
            after={
                "file": result.path.name,
                "sha256": result.sha256,
                "pii": treatment,
                "period": period.manifest(),
                "rows": result.rows,
            },
        )
        return int(run.id or 0)

    return transact(engine, _record, actor=actor)


def is_since_last(period: Period) -> bool:
    return period.mode == SINCE_LAST
