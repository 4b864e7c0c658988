"""The duty log's tamper evidence: a SHA-256 hash chain per site, and ``verify``.

Every ``handover_entry`` row (notes, events, incidents, corrections, handovers,
acknowledgements, questions, answers, parcel counts, overrides, signatures, countersigns)
carries its position ``seq`` in its site's chain, the previous entry's hash and its own
hash: SHA-256 over the canonical content below plus that previous hash. Changing one field
of one row, deleting a row or inserting one breaks the chain at that row.

``verify`` walks each site's chain and also checks what the chain alone cannot see:

* the tail: every entry the audit trail saw inserted must still be there, with the hash it
  had then (so deleting the newest entries, or rewriting the whole chain, is caught);
* the ``shift`` rows, a summary of the chain, must agree with it (status, signatures,
  countersign, digest, override);
* on SQLite, ``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check``.

Appending takes a lock on the site row first, so two terminals never fork the chain
(SQLite writers are serialised anyway by ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from shiftdesk.models import AuditEvent, HandoverEntry, Shift, ShiftStatus, Site
from shiftdesk.models.handover import EntryKind

#: the "previous hash" of a site's first entry
GENESIS = "0" * 64

#: the columns a hash covers, in this order (``id`` is not one: ``seq`` is the position)
CHAINED_FIELDS = (
    "site_id",
    "seq",
    "shift_id",
    "at",
    "author_id",
    "kind",
    "category",
    "body",
    "location",
    "actions",
    "notified",
    "photos",
    "corrects_id",
    "reply_to_id",
    "prev_hash",
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in a chained entry")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical(entry: HandoverEntry) -> bytes:
    """The bytes a hash is taken over: sorted-key compact JSON, UTF-8, fixed time format."""
    data = {name: _plain(getattr(entry, name)) for name in CHAINED_FIELDS}
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def entry_hash(entry: HandoverEntry) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def text_hash(text: str) -> str:
    """SHA-256 of a text kept outside the chain (a shift's digest), recorded inside it."""
    return hashlib.sha256(text.encode()).hexdigest()


def _lock_site(session: Session, site_id: int) -> None:
    """Serialise appends per site: FOR UPDATE on the site row (a no-op on SQLite)."""
    session.exec(select(Site.id).where(Site.id == site_id).with_for_update()).first()


def head(session: Session, site_id: int) -> HandoverEntry | None:
    """The newest entry of a site's chain."""
    return session.exec(
        select(HandoverEntry)
        .where(HandoverEntry.site_id == site_id)
        .order_by(col(HandoverEntry.seq).desc())
        .limit(1)
    ).first()


def append(session: Session, entry: HandoverEntry, *, flush: bool = True) -> HandoverEntry:
    """Add ``entry`` at the end of its site's chain (sets seq, prev_hash, hash) and flush.

    The first append of a transaction locks the site and reads the head; the lock holds
    until the transaction ends, so later appends in it continue from the one before.
    """
    heads: dict[int, HandoverEntry | None] = session.info.setdefault("chain_heads", {})
    if entry.site_id in heads:
        last = heads[entry.site_id]
    else:
        _lock_site(session, entry.site_id)
        last = head(session, entry.site_id)
    seal(entry, last)
    session.add(entry)
    if flush:
        session.flush()
    heads[entry.site_id] = entry
    return entry


def seal(entry: HandoverEntry, previous: HandoverEntry | None) -> HandoverEntry:
    """Link ``entry`` after ``previous`` in memory (bulk writers such as the demo use this)."""
    entry.seq = 1 if previous is None else previous.seq + 1
    entry.prev_hash = GENESIS if previous is None else previous.hash
    entry.hash = entry_hash(entry)
    return entry


def seal_all(entries: Iterable[HandoverEntry], previous: HandoverEntry | None) -> None:
    for entry in entries:
        seal(entry, previous)
        previous = entry


# ---------------------------------------------------------------------------- verify


@dataclass
class Problem:
    """One broken thing, located as precisely as the evidence allows.

    ``code`` is a stable key (edited, rewritten, broken_link, missing, deleted,
    audit_mismatch, shift_mismatch, integrity, foreign_key); ``detail`` is plain data for
    the message.
    """

    code: str
    site: str
    seq: int | None = None
    entry_id: int | None = None
    shift_id: int | None = None
    at: datetime | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "site": self.site,
            "seq": self.seq,
            "entry_id": self.entry_id,
            "shift_id": self.shift_id,
            "at": self.at.isoformat() if self.at else None,
            "detail": self.detail,
        }


@dataclass
class SiteSummary:
    code: str
    entries: int = 0
    shifts: int = 0
    head_hash: str = GENESIS


@dataclass
class VerifyReport:
    sites: list[SiteSummary] = field(default_factory=list)
    #: "ok", the problems SQLite reported, or None where the check does not apply (PostgreSQL)
    integrity: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "integrity": self.integrity,
            "sites": [
                {"code": s.code, "entries": s.entries, "shifts": s.shifts, "head": s.head_hash}
                for s in self.sites
            ],
            "problems": [p.as_dict() for p in self.problems],
        }


def verify(engine: Engine, *, site_code: str | None = None) -> VerifyReport:
    """Walk every site's chain (or one site's) and the database's own checks."""
    from shiftdesk.db import is_sqlite, read_session

    report = VerifyReport()
    if is_sqlite(engine):
        report.integrity = _sqlite_checks(engine, report)
    with read_session(engine) as session:
        query = select(Site).order_by(col(Site.id))
        if site_code is not None:
            query = query.where(Site.code == site_code)
        for site in session.exec(query).all():
            assert site.id is not None
            summary = SiteSummary(code=site.code)
            report.sites.append(summary)
            _verify_site(session, site.id, site.code, summary, report.problems)
    return report


def _sqlite_checks(engine: Engine, report: VerifyReport) -> str:
    with engine.connect() as conn:
        rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
        fk_rows = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    integrity = "ok" if rows == ["ok"] else "; ".join(str(r) for r in rows[:10])
    if integrity != "ok":
        report.problems.append(Problem("integrity", site="", detail=integrity))
    for table, rowid, parent, _fk in fk_rows[:20]:
        report.problems.append(
            Problem("foreign_key", site="", detail=f"{table} row {rowid} -> {parent}")
        )
    return integrity


def _verify_site(
    session: Session, site_id: int, code: str, summary: SiteSummary, problems: list[Problem]
) -> None:
    site_problems: list[Problem] = []
    entries_by_shift: dict[int | None, list[HandoverEntry]] = defaultdict(list)
    present: dict[int, HandoverEntry] = {}

    expected_seq = 1
    previous: HandoverEntry | None = None
    stream = session.exec(
        select(HandoverEntry)
        .where(HandoverEntry.site_id == site_id)
        .order_by(col(HandoverEntry.seq))
        .execution_options(yield_per=1000)
    )
    for entry in stream:
        assert entry.id is not None
        summary.entries += 1
        present[entry.id] = entry
        entries_by_shift[entry.shift_id].append(entry)

        def where(e: HandoverEntry = entry) -> dict[str, Any]:
            return {
                "site": code,
                "seq": e.seq,
                "entry_id": e.id,
                "shift_id": e.shift_id,
                "at": e.at,
            }

        content_ok = entry_hash(entry) == entry.hash
        if entry.seq != expected_seq:
            if entry.seq > expected_seq:
                gap = (
                    f"{expected_seq}"
                    if entry.seq - 1 == expected_seq
                    else f"{expected_seq}-{entry.seq - 1}"
                )
                site_problems.append(Problem("missing", detail=gap, **where()))
            else:
                site_problems.append(Problem("out_of_order", detail=str(expected_seq), **where()))
        elif entry.prev_hash != (previous.hash if previous else GENESIS):
            if content_ok and previous is not None:
                # this entry is intact, so the one before it was rewritten with a new hash
                site_problems.append(Problem("rewritten", **where(previous)))
            else:
                site_problems.append(Problem("broken_link", **where()))
        if not content_ok:
            site_problems.append(Problem("edited", **where()))
        previous = entry
        expected_seq = max(expected_seq, entry.seq) + 1
    summary.head_hash = previous.hash if previous else GENESIS

    site_problems.extend(_check_audit(session, site_id, code, present))
    shift_problems, shift_count = _check_shifts(session, site_id, code, entries_by_shift)
    summary.shifts = shift_count
    site_problems.extend(shift_problems)
    # the first broken link comes first: order by position in the chain, then the rest
    site_problems.sort(key=lambda p: (p.seq is None, p.seq or 0))
    problems.extend(site_problems)


def _check_audit(
    session: Session, site_id: int, code: str, present: dict[int, HandoverEntry]
) -> list[Problem]:
    """Entries the audit trail saw inserted must still exist with the same hash."""
    found: list[Problem] = []
    events = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.entity == "handover_entry",
            col(AuditEvent.action).in_(("insert", "delete", "update")),
        )
        .order_by(col(AuditEvent.id))
    )
    for event in events:
        try:
            data = json.loads(event.after or event.before or "{}")
        except ValueError:
            data = {}
        if data.get("site_id") != site_id:
            continue
        when = _parse_time(data.get("at"))
        where = {
            "site": code,
            "seq": data.get("seq"),
            "entry_id": event.entity_id,
            "shift_id": data.get("shift_id"),
            "at": when,
        }
        if event.action in ("update", "delete"):
            found.append(Problem("changed_in_app", detail=event.action, **where))
            continue
        entry = present.get(event.entity_id or -1)
        if entry is None:
            found.append(Problem("deleted", **where))
        elif data.get("hash") and data["hash"] != entry.hash:
            found.append(Problem("audit_mismatch", **where))
    return found


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _check_shifts(
    session: Session,
    site_id: int,
    code: str,
    entries_by_shift: dict[int | None, list[HandoverEntry]],
) -> tuple[list[Problem], int]:
    """The shift rows must say what their chained entries say."""
    found: list[Problem] = []
    count = 0
    for shift in session.exec(
        select(Shift).where(Shift.site_id == site_id).order_by(col(Shift.id))
    ):
        count += 1
        entries = entries_by_shift.get(shift.id, [])
        for name in _shift_mismatches(shift, entries):
            anchor = entries[0] if entries else None
            found.append(
                Problem(
                    "shift_mismatch",
                    site=code,
                    seq=anchor.seq if anchor else None,
                    entry_id=anchor.id if anchor else None,
                    shift_id=shift.id,
                    at=shift.period_start,
                    detail=name,
                )
            )
    return found, count


def _body(entry: HandoverEntry) -> dict[str, Any]:
    try:
        data = json.loads(entry.body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _shift_mismatches(shift: Shift, entries: list[HandoverEntry]) -> list[str]:
    """The names of the shift's fields that disagree with its chained entries."""
    bad: list[str] = []
    by_kind: dict[str, list[HandoverEntry]] = defaultdict(list)
    for e in entries:
        by_kind[e.kind].append(e)
    opens = by_kind.get(EntryKind.OPEN.value, [])
    if not opens:
        bad.append("opened")
    else:
        opened = _body(opens[0])
        expected = {
            "desk": shift.desk,
            "name": shift.name,
            "period_start": _plain(shift.period_start),
            "period_end": _plain(shift.period_end),
            "opened_off_by_minutes": shift.opened_off_by_minutes,
        }
        for key, value in expected.items():
            if opened.get(key) != value:
                bad.append(key)
        if opens[0].author_id != shift.outgoing_id:
            bad.append("outgoing_id")
    signatures = {e.category: e for e in by_kind.get(EntryKind.SIGNATURE.value, [])}
    closed = "outgoing" in signatures and "incoming" in signatures
    if (shift.status == ShiftStatus.CLOSED.value) != closed:
        bad.append("status")
    if closed:
        if shift.incoming_id != signatures["incoming"].author_id:
            bad.append("incoming_id")
        if shift.outgoing_signed_at != signatures["outgoing"].at:
            bad.append("outgoing_signed_at")
        if shift.incoming_signed_at != signatures["incoming"].at:
            bad.append("incoming_signed_at")
    handovers = by_kind.get(EntryKind.HANDOVER.value, [])
    if handovers:
        latest = _body(handovers[-1])
        if shift.digest is None or latest.get("digest_sha256") != text_hash(shift.digest):
            bad.append("digest")
        if latest.get("special_instructions_sha256") != text_hash(shift.special_instructions):
            bad.append("special_instructions")
    elif shift.digest is not None or shift.status == ShiftStatus.PREPARED.value:
        bad.append("digest")
    counters = by_kind.get(EntryKind.COUNTERSIGN.value, [])
    if counters:
        if shift.countersigned_by != counters[-1].author_id:
            bad.append("countersigned_by")
        if shift.countersigned_at != counters[-1].at:
            bad.append("countersigned_at")
    elif shift.countersigned_by is not None or shift.countersigned_at is not None:
        bad.append("countersigned_by")
    overrides = by_kind.get(EntryKind.OVERRIDE.value, [])
    if overrides:
        if shift.override_by != overrides[-1].author_id:
            bad.append("override_by")
        if shift.override_reason != str(_body(overrides[-1]).get("reason", ""))[:500]:
            bad.append("override_reason")
    elif shift.override_by is not None:
        bad.append("override_by")
    return bad
