"""Which rows of each table go into an archive.

- A full archive holds every row (of the chosen site, when the database holds several).
- A period archive holds the rows created or changed in the period, as they are now: a
  row is "changed" when one of its timestamps falls in the period (every UTC datetime
  column except scheduled times such as ``due_at``; a table may name its own with
  ``__table_args__ = {"info": {"archive_period_columns": [...]}}``) or when the audit trail
  recorded an insert or update of it in the period.
- Either way, the rows those rows refer to (their unit, resident, operator, site...) come
  along, so every archive restores into an empty database on its own (foreign keys hold).

Tables are taken generically from the metadata: a table another area adds is archived
without any change here. The referenced rows are found with one query per foreign key
and kept in temporary tables, so a long period never builds a giant ``IN (...)`` list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    MetaData,
    Table,
    and_,
    exists,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import ColumnElement, FromClause

from shiftdesk.archive.codec import is_datetime
from shiftdesk.models import AuditEvent

AUDIT: Table = AuditEvent.__table__  # type: ignore[attr-defined]

#: datetimes that say when something is due, not when the row changed
SCHEDULE_COLUMNS = frozenset({"due_at", "not_before", "locked_until"})


@dataclass(frozen=True)
class Window:
    """[start, end) in UTC; ``start`` None means from the beginning (everything)."""

    start: datetime | None
    end: datetime | None


def period_columns(table: Table) -> list[str]:
    declared = table.info.get("archive_period_columns")
    if declared is not None:
        return list(declared)
    return [c.name for c in table.columns if is_datetime(c) and c.name not in SCHEDULE_COLUMNS]


def _site_pred(t: FromClause, table: Table, site_id: int) -> ColumnElement[bool] | None:
    if table.name == "site":
        return t.c.id == site_id
    if "site_id" in table.c:
        cond = t.c.site_id == site_id
        # rows of no site (the built-in system operator, sign-in failures) belong to all
        return or_(cond, t.c.site_id.is_(None)) if table.c.site_id.nullable else cond
    return None


def _in_window(col: Any, window: Window) -> ColumnElement[bool]:
    cond = col >= window.start
    return and_(cond, col < window.end) if window.end is not None else cond


def _changed_pred(t: FromClause, table: Table, window: Window | None) -> ColumnElement[bool] | None:
    if window is None or window.start is None:
        return None
    conds = [_in_window(t.c[name], window) for name in period_columns(table)]
    if "id" in table.c and table is not AUDIT:
        audited = select(AUDIT.c.entity_id).where(
            AUDIT.c.entity == table.name,
            AUDIT.c.entity_id.is_not(None),
            _in_window(AUDIT.c.at, window),
        )
        conds.append(t.c.id.in_(audited))
    return or_(*conds) if conds else false()


class Selector:
    """The WHERE clause of each table's export, with referenced rows added.

    Use on one connection inside one transaction (the same snapshot as the export), and
    ``close()`` it to drop the temporary tables.
    """

    def __init__(
        self,
        conn: Connection,
        tables: list[Table],
        *,
        site_id: int | None,
        window: Window | None,
    ) -> None:
        self.conn = conn
        self.tables = tables
        self.site_id = site_id
        self.window = window
        self._extra: dict[tuple[str, str], Table] = {}
        self._meta = MetaData()
        self._close_references()

    # -- predicates ------------------------------------------------------------------

    def base(self, table: Table, t: FromClause | None = None) -> ColumnElement[bool] | None:
        """The table's own rule (site and period); None: every row."""
        t = table if t is None else t
        conds = []
        if self.site_id is not None:
            site = _site_pred(t, table, self.site_id)
            if site is not None:
                conds.append(site)
        changed = _changed_pred(t, table, self.window)
        if changed is not None:
            conds.append(changed)
        if not conds:
            return None
        return conds[0] if len(conds) == 1 else and_(*conds)

    def where(self, table: Table) -> ColumnElement[bool] | None:
        """The rows to export: the table's rule, or referenced by an exported row."""
        base = self.base(table)
        if base is None:
            return None
        extras = [
            table.c[col].in_(select(tmp.c.v))
            for (name, col), tmp in sorted(self._extra.items())
            if name == table.name
        ]
        return or_(base, *extras) if extras else base

    def count(self, table: Table) -> int:
        query = select(func.count()).select_from(table)
        where = self.where(table)
        if where is not None:
            query = query.where(where)
        return int(self.conn.execute(query).scalar_one())

    # -- referenced rows ---------------------------------------------------------------

    def _close_references(self) -> None:
        if self.site_id is None and (self.window is None or self.window.start is None):
            return  # every row of every table: nothing can be missing
        known = {t.name for t in self.tables}
        # children before parents: a parent learns every reference before its own turn
        for table in reversed(self.tables):
            fks = sorted(table.foreign_keys, key=lambda fk: (fk.parent.name, fk.target_fullname))
            for fk in fks:
                parent = fk.column.table
                if not isinstance(parent, Table) or parent.name not in known:
                    continue
                if self.base(parent) is None:
                    continue  # the parent is exported whole
                while self._add_references(table, table.c[fk.parent.name], parent, fk.column.name):
                    if parent is not table:
                        break  # a self-reference repeats until the chain is closed

    def _add_references(
        self, child: Table, child_col: Column[Any], parent: Table, parent_col: str
    ) -> bool:
        p = parent.alias("archive_parent")
        parent_base = self.base(parent, p)
        covered = select(literal(1)).select_from(p).where(p.c[parent_col] == child_col)
        if parent_base is not None:
            covered = covered.where(parent_base)
        query = select(child_col).distinct().where(child_col.is_not(None), ~exists(covered))
        child_where = self.where(child)
        if child_where is not None:
            query = query.where(child_where)
        tmp = self._extra.get((parent.name, parent_col))
        if tmp is not None:
            query = query.where(child_col.not_in(select(tmp.c.v)))
        values = [row[0] for row in self.conn.execute(query)]
        if not values:
            return False
        if tmp is None:
            tmp = Table(
                f"archive_ref_{len(self._extra)}",
                self._meta,
                Column("v", parent.c[parent_col].type, primary_key=True),
                prefixes=["TEMPORARY"],
            )
            tmp.create(self.conn)
            self._extra[(parent.name, parent_col)] = tmp
        for start in range(0, len(values), 5000):
            chunk = values[start : start + 5000]
            self.conn.execute(tmp.insert(), [{"v": v} for v in chunk])
        return True

    def close(self) -> None:
        for tmp in self._extra.values():
            tmp.drop(self.conn, checkfirst=False)
        self._extra.clear()
