"""Restoring an archive into a database, in bulk, all or nothing.

The JSON Lines files are read in the archive's order (parents before children), each
checked against the manifest's SHA-256 and row count as it streams, and inserted with the
driver's ``executemany`` in batches inside one transaction: a damaged file rolls the
whole restore back. A restore adds nothing of its own to the database (not even an audit
event), so exporting the restored database gives the same archive again.

``merge`` adds an archive to a database that already has data: records whose primary key
is already present are skipped and counted, the rest inserted. It writes residents,
operators and audit events into a live database straight from a file, so it needs an
actor with the manager or admin role (domain §1: the manager approves transfers of
customer data; the same authority as ``db migrate-to``, which merges every site after the
first). A restore into an empty database asks no role: on a fresh machine nobody exists
yet to prove one, and the empty database has nothing to protect. The command line proves
the actor by PIN and records the merge with ``record_merge``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Integer, Table, bindparam, select, tuple_
from sqlalchemy.engine import Connection, Engine

from shiftdesk import migrate
from shiftdesk.archive.codec import decoder_for
from shiftdesk.archive.container import ArchiveDamaged, read_members
from shiftdesk.archive.export import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
    compile_rows,
    tables,
)
from shiftdesk.db import Actor, transact
from shiftdesk.errors import PermissionDenied, ShiftdeskError, UsageError
from shiftdesk.i18n import t
from shiftdesk.models import Role
from shiftdesk.security import require_role

BATCH = 5000

Progress = Callable[[str, int, int | None], None]


class RestoreFailed(ShiftdeskError):
    """The archive could not be restored; nothing was written (exit 1)."""


@dataclass
class TableRestore:
    name: str
    inserted: int = 0
    skipped: int = 0


@dataclass
class RestoreResult:
    archive: Path
    merge: bool
    pii: str
    site: str
    tables: list[TableRestore] = field(default_factory=list)

    @property
    def inserted(self) -> int:
        return sum(tb.inserted for tb in self.tables)

    @property
    def skipped(self) -> int:
        return sum(tb.skipped for tb in self.tables)


def non_empty_tables(conn: Connection) -> list[str]:
    out = []
    for table in tables():
        if conn.execute(select(1).select_from(table).limit(1)).first() is not None:
            out.append(table.name)
    return out


def _check_manifest(manifest: Any) -> dict[str, Table]:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise UsageError(t("export.import.not_ours"))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise UsageError(t("export.import.format_version", found=manifest.get("format_version")))
    head = migrate.head_revision()
    if manifest.get("schema_version") != head:
        raise UsageError(
            t("export.import.schema", found=manifest.get("schema_version"), expected=head)
        )
    by_name = {tb.name: tb for tb in tables()}
    for entry in manifest.get("tables", []):
        table = by_name.get(entry.get("name"))
        if table is None:
            raise UsageError(t("export.import.unknown_table", table=entry.get("name")))
        if list(entry.get("columns", [])) != [c.name for c in table.columns]:
            raise UsageError(t("export.import.columns", table=table.name))
    return by_name


def _placeholder(conn: Connection) -> str:
    style = conn.dialect.paramstyle
    if style == "qmark":
        return "?"
    if style in ("format", "pyformat"):
        return "%s"
    raise ShiftdeskError(f"unsupported DBAPI parameter style {style!r}")


def _insert_sql(conn: Connection, table: Table) -> str:
    prep = conn.dialect.identifier_preparer
    cols = ", ".join(prep.quote(c.name) for c in table.columns)
    marks = ", ".join([_placeholder(conn)] * len(table.columns))
    return f"INSERT INTO {prep.format_table(table)} ({cols}) VALUES ({marks})"


def _existing_keys(conn: Connection, table: Table, keys: list[Any]) -> set[Any]:
    pk = list(table.primary_key.columns)
    if len(pk) == 1:
        query = select(pk[0]).where(pk[0].in_(bindparam("keys", expanding=True)))
        return {row[0] for row in conn.execute(query, {"keys": keys})}
    query = select(*pk).where(tuple_(*pk).in_(keys))
    return {tuple(row) for row in conn.execute(query)}


def _reset_sequences(conn: Connection, restored: list[Table]) -> None:
    """PostgreSQL: move each id sequence past the ids just inserted by hand."""
    if conn.dialect.name != "postgresql":
        return  # SQLite's INTEGER PRIMARY KEY continues from max(rowid) by itself
    prep = conn.dialect.identifier_preparer
    for table in restored:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer):
            continue
        qtable = prep.format_table(table)
        qcol = prep.quote(pk[0].name)
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence(%s, %s), "
            f"COALESCE((SELECT MAX({qcol}) FROM {qtable}), 1), "
            f"(SELECT MAX({qcol}) FROM {qtable}) IS NOT NULL)",
            (qtable, pk[0].name),
        )


class _HashingLines:
    """Lines of a member, hashing every byte, so the file is checked as it is read."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.hash = hashlib.sha256()

    def __iter__(self) -> Iterator[bytes]:
        update = self.hash.update
        for line in self.stream:
            update(line)
            yield line


def _restore_table(
    conn: Connection,
    table: Table,
    entry: dict[str, Any],
    file_entry: dict[str, Any],
    name: str,
    stream: IO[bytes],
    *,
    merge: bool,
    progress: Progress | None,
) -> TableRestore:
    result = TableRestore(table.name)
    columns = list(table.columns)
    width = len(columns)
    decoders = {i: d for i, c in enumerate(columns) if (d := decoder_for(c, conn.dialect))}
    to_params = compile_rows(decoders, width, False, tuples=True)
    pk_index = [i for i, c in enumerate(columns) if c.primary_key]
    sql = _insert_sql(conn, table)
    total = int(entry.get("rows", 0))
    lines = _HashingLines(stream)
    it = iter(lines)
    header = next(it, None)
    if header is None or json.loads(header) != [c.name for c in columns]:
        raise RestoreFailed(t("export.import.bad_file", file=name))
    parsed: list[list[Any]] = []
    rows = 0
    decode = json.JSONDecoder().decode

    def flush() -> None:
        nonlocal parsed
        if not parsed:
            return
        if any(type(r) is not list or len(r) != width for r in parsed):
            raise ValueError(f"a row does not have the table's {width} columns")
        todo = to_params(parsed)
        parsed = []
        count = len(todo)
        if merge:
            if len(pk_index) == 1:
                keys = [r[pk_index[0]] for r in todo]
                present = _existing_keys(conn, table, keys)
                todo = [r for r in todo if r[pk_index[0]] not in present]
            else:
                keys = [tuple(r[i] for i in pk_index) for r in todo]
                present = _existing_keys(conn, table, keys)
                todo = [r for r in todo if tuple(r[i] for i in pk_index) not in present]
            result.skipped += count - len(todo)
        if todo:
            conn.exec_driver_sql(sql, todo)
            result.inserted += len(todo)

    if progress is not None:
        progress(table.name, 0, total)
    try:
        for line in it:
            parsed.append(decode(line.decode("utf-8")))
            rows += 1
            if len(parsed) >= BATCH:
                flush()
                if progress is not None:
                    progress(table.name, rows, total)
        flush()
    except (ValueError, TypeError, IndexError) as exc:
        raise RestoreFailed(t("export.import.bad_row", file=name, row=rows, detail=exc)) from None
    if progress is not None:
        progress(table.name, rows, total)
    if lines.hash.hexdigest() != file_entry.get("sha256"):
        raise RestoreFailed(t("export.import.hash", file=name))
    if rows != total:
        raise RestoreFailed(t("export.import.rows", file=name, expected=total, found=rows))
    return result


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest alone (the first member), for a look before restoring."""
    try:
        with read_members(path) as members:
            for name, stream in members:
                if name != MANIFEST:
                    break
                return json.loads(stream.read().decode("utf-8"))
    except ArchiveDamaged as exc:
        raise RestoreFailed(
            t("export.import.damaged", file=exc.member or path.name, detail=exc.detail)
        ) from None
    except ValueError:
        pass
    raise UsageError(t("export.import.not_ours"))


def import_archive(
    engine: Engine,
    path: Path,
    *,
    merge: bool = False,
    progress: Progress | None = None,
    actor: Actor | None = None,
) -> RestoreResult:
    """Restore ``path`` into ``engine``'s database (migrated to this program's schema).

    ``merge`` needs ``actor`` with the manager or admin role (§1); without it the merge is
    refused with PermissionDenied before the archive is opened.
    """
    if merge:
        require_merge(actor)
    manifest = read_manifest(path)
    by_name = _check_manifest(manifest)
    entries = {e["name"]: e for e in manifest.get("tables", [])}
    files = {f["name"]: f for f in manifest.get("files", [])}
    wanted = {e["jsonl"]: e for e in entries.values()}
    result = RestoreResult(
        archive=path,
        merge=merge,
        pii=str(manifest.get("pii", {}).get("treatment", "")),
        site=str(manifest.get("site", {}).get("code", "")),
    )
    conn = engine.connect()
    if conn.dialect.name == "sqlite":
        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
    try:
        with conn.begin():
            if not merge:
                busy = non_empty_tables(conn)
                if busy:
                    raise UsageError(t("export.import.not_empty", tables=", ".join(busy)))
            if conn.dialect.name == "sqlite":
                # checked at COMMIT: a row may point at one later in the same table
                conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            restored: list[Table] = []
            try:
                with read_members(path) as members:
                    for name, stream in members:
                        if name not in wanted:
                            continue
                        entry = wanted.pop(name)
                        table = by_name[entry["name"]]
                        result.tables.append(
                            _restore_table(
                                conn,
                                table,
                                entry,
                                files.get(name, {}),
                                name,
                                stream,
                                merge=merge,
                                progress=progress,
                            )
                        )
                        restored.append(table)
                        if not wanted:
                            break  # only the CSV copies follow: no need to read them
            except ArchiveDamaged as exc:
                raise RestoreFailed(
                    t("export.import.damaged", file=exc.member or path.name, detail=exc.detail)
                ) from None
            if wanted:
                raise RestoreFailed(t("export.import.missing", file=sorted(wanted)[0]))
            _reset_sequences(conn, restored)
    finally:
        conn.close()
    return result


def require_merge(actor: Actor | None) -> None:
    """§1: merging an archive into a live database is a manager's or an admin's act."""
    if actor is None:
        raise PermissionDenied(t("reliability.merge.no_actor"))
    require_role(actor, Role.MANAGER)


def record_merge(engine: Engine, result: RestoreResult, *, actor: Actor, via: str) -> None:
    """A-6: who merged which archive into this database, and how they proved the right.

    A separate transaction after the merge (``import_archive`` itself adds nothing of its
    own, so ``db migrate-to`` can compare row counts on both sides).
    """
    from shiftdesk import audit

    note = (
        f"merged {result.archive.name} (site {result.site}, personal data "
        f"{result.pii or 'unknown'}): {result.inserted} rows added, "
        f"{result.skipped} already present ({via})"
    )
    transact(
        engine,
        lambda s: audit.record(s, "import_merge", "database", note=note),
        actor=actor,
    )
