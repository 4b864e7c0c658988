"""Moving up: copy a desk's database into a bigger one (SQLite -> PostgreSQL), issue 11.

``move_database`` goes through the export archive format (``shiftdesk.archive``), the same
files a nightly job writes and ``shiftdesk import archive`` restores, so the move uses
code that is exercised every night and checked by hashes and row counts:

1. the source must be at this program's schema; the target must be a different database
   with no shiftdesk rows in it (it is checked before anything is written to it);
2. the target's schema is created or upgraded (Alembic, as ``shiftdesk init`` does);
3. the move is recorded in the source's audit trail (A-4: customer data moved, by whom),
   so the record travels with the data;
4. each site of the source is exported with personal data included (a move, not an
   export: residents' names and phones must arrive) and restored into the target, the
   first archive into the empty database, any further site merged (rows shared by all
   sites, such as the built-in ``system`` operator, are already there);
5. every table's rows are counted on both sides; the move succeeds only if they agree,
   and then the target's trail records where its data came from.

A source that holds several sites (unusual for SQLite) is moved whole. Moving into a
PostgreSQL database that already holds other sites is refused: record ids would collide.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine, make_url

from shiftdesk import audit, migrate
from shiftdesk.db import Actor, make_engine, normalise_url, sqlite_path, transact
from shiftdesk.errors import UsageError
from shiftdesk.i18n import t

Progress = Callable[[str, int, "int | None"], None]


@dataclass
class TableCount:
    name: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


@dataclass
class MoveResult:
    target: str  # the target URL without its password
    revision: str
    sites: list[str]
    archives: list[Path]
    tables: list[TableCount] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(tb.ok for tb in self.tables)

    @property
    def rows(self) -> int:
        return sum(tb.target for tb in self.tables)

    @property
    def mismatched(self) -> list[TableCount]:
        return [tb for tb in self.tables if not tb.ok]


def safe_url(url: str) -> str:
    """The URL as it may be printed and recorded: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: say so with what was typed, minus any secret
        return url.split("@")[-1]


def same_database(a: Engine, b_url: str) -> bool:
    """True if ``b_url`` names the database ``a`` is connected to."""
    b_url = normalise_url(b_url)
    path_a = sqlite_path(a.url.render_as_string(hide_password=False))
    path_b = sqlite_path(b_url)
    if path_a is not None or path_b is not None:
        if path_a is None or path_b is None:
            return False
        return path_a.resolve() == path_b.resolve()
    u, v = a.url, make_url(b_url)
    return (u.host, u.port or 5432, u.database) == (v.host, v.port or 5432, v.database)


def occupied_tables(engine: Engine) -> list[str]:
    """Our tables that exist in ``engine``'s database and hold rows (nothing is created)."""
    from shiftdesk.archive import tables

    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        return [
            tb.name
            for tb in tables()
            if tb.name in present
            and conn.execute(select(1).select_from(tb).limit(1)).first() is not None
        ]


def count_rows(engine: Engine) -> dict[str, int]:
    """Rows per table of the schema, read in one transaction."""
    from shiftdesk.archive import tables

    with engine.connect() as conn, conn.begin():
        return {
            tb.name: int(conn.execute(select(func.count()).select_from(tb)).scalar_one())
            for tb in tables()
        }


def _sites(engine: Engine) -> list[tuple[int, str, str]]:
    from shiftdesk.models import Site

    site_t = Site.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(
            select(site_t.c.id, site_t.c.code, site_t.c.timezone).order_by(site_t.c.id)
        ).all()
    return [(int(r.id), str(r.code), str(r.timezone)) for r in rows]


def check_target(source: Engine, target_url: str) -> None:
    """Refuse before anything is written: the same database, or one already in use."""
    if same_database(source, target_url):
        raise UsageError(t("deploy.migrate.same", url=safe_url(target_url)))


def move_database(
    source: Engine,
    target_url: str,
    *,
    actor: Actor,
    work_dir: Path,
    authorised_by: str,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> MoveResult:
    """Copy every record of ``source`` into the empty database at ``target_url``.

    ``work_dir`` receives the archives (they hold personal data: keep it private);
    ``authorised_by`` says how the actor proved the right to move personal data (PIN,
    the system identity's explicit flag) and goes into both audit trails.
    """
    from shiftdesk.archive import ExportOptions, everything, export_archive, import_archive
    from shiftdesk.timeutil import to_local, utcnow

    migrate.ensure_current(source)
    check_target(source, target_url)
    sites = _sites(source)
    if not sites:
        raise UsageError(t("deploy.migrate.nothing"))
    shown = safe_url(target_url)
    target = make_engine(target_url)
    try:
        migrate.check_not_newer(target)  # another program's or a newer schema: untouched
        busy = occupied_tables(target)
        if busy:
            raise UsageError(t("deploy.migrate.not_empty", url=shown, tables=", ".join(busy)))
        revision = migrate.upgrade(target)
        codes = [code for _id, code, _tz in sites]
        # audit notes are data, in English like every other note in the trail
        note = (
            f"moved to {shown}: sites {', '.join(codes)}, personal data included ({authorised_by})"
        )
        # personal data leaves this database; the event is copied with the data
        transact(
            source,
            lambda s: audit.record(s, "migrate_to", "database", note=note),
            actor=actor,
        )
        result = MoveResult(target=shown, revision=revision, sites=codes, archives=[])
        work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for i, (_id, code, tz) in enumerate(sites):
            opts = ExportOptions(out_dir=work_dir, include_pii=True)
            today = to_local(now or utcnow(), tz).date()
            exported = export_archive(
                source, code, everything(tz), opts, today=today, progress=progress, actor=actor
            )
            result.archives.append(exported.path)
            import_archive(target, exported.path, merge=i > 0, progress=progress, actor=actor)
        before = count_rows(source)
        after = count_rows(target)
        result.tables = [TableCount(name, before[name], after.get(name, 0)) for name in before]
        if result.ok:
            names = ", ".join(p.name for p in result.archives)
            source_shown = source.url.render_as_string(hide_password=True)
            done = (
                f"moved here from {source_shown}: {result.rows} records, counts checked; "
                f"archives {names} ({authorised_by})"
            )
            transact(
                target,
                lambda s: audit.record(s, "migrate_from", "database", note=done),
                actor=actor,
            )
        return result
    finally:
        target.dispose()


def summary_rows(result: MoveResult) -> list[dict[str, Any]]:
    return [
        {"table": tb.name, "source": tb.source, "target": tb.target, "ok": tb.ok}
        for tb in result.tables
    ]
