"""The handover workflow (H-2..H-7, H-12): prepare, override, acknowledge, ask/answer,
count the parcels, the two PIN signatures and the supervisor's countersign.

Roles and identities are checked here, not only in the screens: a script cannot do what
the screen would refuse.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from shiftdesk import audit, chain
from shiftdesk.config import Settings
from shiftdesk.db import Actor
from shiftdesk.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from shiftdesk.handover.digest import PARCELS_KEY, Digest, DigestItem, build_digest
from shiftdesk.handover.shifts import (
    _dump,
    _new_entry,
    _require_open,
    open_shift,
    period_after,
    shift_entries,
)
from shiftdesk.i18n import t
from shiftdesk.models import (
    HandoverEntry,
    Role,
    Shift,
    ShiftStatus,
)
from shiftdesk.models.handover import EntryKind
from shiftdesk.security import require_role
from shiftdesk.textclean import strip_controls
from shiftdesk.timeutil import utcnow

# ---------------------------------------------------------------------------- handover


class HandoverBlocked(ValidationError):
    """H-6: important unfinished work; resolve it or have a supervisor override."""

    def __init__(self, items: list[DigestItem]) -> None:
        super().__init__(t("handover.error.blocked", count=len(items)))
        self.items = items


def _latest(entries: Sequence[HandoverEntry], kind: EntryKind) -> HandoverEntry | None:
    found = [e for e in entries if e.kind == kind.value]
    return found[-1] if found else None


def overridden_keys(entries: Sequence[HandoverEntry]) -> set[str]:
    keys: set[str] = set()
    for e in entries:
        if e.kind == EntryKind.OVERRIDE.value:
            keys.update(json.loads(e.body or "{}").get("items", []))
    return keys


def prepare_handover(
    session: Session,
    settings: Settings,
    shift: Shift,
    *,
    author: Actor,
    special_instructions: str = "",
    now: datetime | None = None,
    history: bool = False,
) -> Digest:
    """H-5: build and keep the digest; refuse while important work is unresolved (H-6).

    ``history`` builds it as of ``now`` from the records' timestamps (a past handover).
    """
    now = now or utcnow()
    _require_open(shift)
    assert shift.id is not None
    if author.id != shift.outgoing_id:
        raise PermissionDenied(t("handover.error.not_holder"))
    if len(special_instructions.strip()) > 4000:
        raise ValidationError(t("handover.error.too_long", max=4000), field="instructions")
    entries = shift_entries(session, shift.id)
    if any(e.kind in (EntryKind.ACK.value, EntryKind.PARCEL_COUNT.value) for e in entries):
        latest = _latest(entries, EntryKind.HANDOVER)
        acked = latest is not None and any(
            e.reply_to_id == latest.id for e in entries if e.kind == EntryKind.ACK.value
        )
        if acked:
            raise ConflictError(t("handover.error.already_receiving"))
    digest = build_digest(
        session,
        settings,
        shift,
        now=now,
        special_instructions=special_instructions,
        as_of=now if history else None,
    )
    uncovered = [i for i in digest.blocking if i.key not in overridden_keys(entries)]
    if uncovered:
        raise HandoverBlocked(uncovered)
    text = digest.to_json()
    shift.digest = text
    shift.special_instructions = digest.special_instructions
    shift.prepared_at = now
    shift.status = ShiftStatus.PREPARED.value
    shift.incoming_id = None
    session.add(shift)
    body = {
        "digest_sha256": chain.text_hash(text),
        "special_instructions_sha256": chain.text_hash(digest.special_instructions),
        "items": len(digest.items),
        "blocking": [i.key for i in digest.blocking],
        "parcels_total": digest.parcels_total,
    }
    chain.append(session, _new_entry(shift, author, EntryKind.HANDOVER, at=now, body=_dump(body)))
    return digest


def override_block(
    session: Session,
    shift: Shift,
    *,
    supervisor: Actor,
    reason: str,
    keys: Sequence[str],
    now: datetime | None = None,
) -> HandoverEntry:
    """H-6: a supervisor lets listed important work be handed over unfinished, with a reason."""
    require_role(supervisor, Role.SUPERVISOR)
    _require_open(shift)
    reason = strip_controls(reason, multiline=True)
    if not reason:
        raise ValidationError(t("handover.error.reason_required"), field="reason")
    if len(reason) > 500:
        raise ValidationError(t("handover.error.too_long", max=500), field="reason")
    if not keys:
        raise ValidationError(t("handover.error.nothing_to_override"))
    shift.override_by = supervisor.id
    shift.override_reason = reason
    session.add(shift)
    body = {"reason": reason, "items": sorted(set(keys))}
    entry = _new_entry(shift, supervisor, EntryKind.OVERRIDE, at=now or utcnow(), body=_dump(body))
    return chain.append(session, entry)


@dataclass
class Question:
    entry: HandoverEntry
    answer: HandoverEntry | None


@dataclass
class HandoverState:
    """Where a prepared handover stands: what is acknowledged, asked, counted, signed."""

    shift: Shift
    digest: Digest | None
    handover_entry: HandoverEntry | None
    acked: set[str]
    questions: list[Question]
    parcel_count: HandoverEntry | None
    signatures: dict[str, HandoverEntry]
    countersign: HandoverEntry | None

    @property
    def unacked(self) -> list[DigestItem]:
        if self.digest is None:
            return []
        return [i for i in self.digest.items if i.key not in self.acked]

    @property
    def unanswered(self) -> list[Question]:
        return [q for q in self.questions if q.answer is None]

    def missing(self) -> list[str]:
        """What still stops the signatures, as translated sentences (empty: ready)."""
        out: list[str] = []
        if self.digest is None:
            out.append(t("handover.missing.not_prepared"))
            return out
        if self.shift.incoming_id is None:
            out.append(t("handover.missing.no_incoming"))
        if self.parcel_count is None:
            out.append(t("handover.missing.parcel_count"))
        items = [i for i in self.unacked if i.key != PARCELS_KEY]
        if items:
            out.append(t("handover.missing.unacked", count=len(items)))
        if self.unanswered:
            out.append(t("handover.missing.unanswered", count=len(self.unanswered)))
        return out


def handover_state(session: Session, shift: Shift) -> HandoverState:
    assert shift.id is not None
    entries = shift_entries(session, shift.id)
    latest = _latest(entries, EntryKind.HANDOVER)
    digest = Digest.from_json(shift.digest) if shift.digest and latest else None
    acked: set[str] = set()
    parcel_count = None
    questions: dict[int, Question] = {}
    signatures: dict[str, HandoverEntry] = {}
    for e in entries:
        after_latest = latest is not None and e.seq > latest.seq
        if e.kind == EntryKind.ACK.value and latest is not None and e.reply_to_id == latest.id:
            acked.add(e.category)
        elif e.kind == EntryKind.PARCEL_COUNT.value and after_latest:
            parcel_count = e
        elif e.kind == EntryKind.QUESTION.value and e.id is not None:
            questions[e.id] = Question(e, None)
        elif e.kind == EntryKind.ANSWER.value and e.reply_to_id in questions:
            questions[e.reply_to_id].answer = e
        elif e.kind == EntryKind.SIGNATURE.value:
            signatures[e.category] = e
    return HandoverState(
        shift=shift,
        digest=digest,
        handover_entry=latest,
        acked=acked,
        questions=list(questions.values()),
        parcel_count=parcel_count,
        signatures=signatures,
        countersign=_latest(entries, EntryKind.COUNTERSIGN),
    )


def _require_prepared(shift: Shift) -> None:
    if shift.status != ShiftStatus.PREPARED.value:
        raise ValidationError(t("handover.error.not_prepared"))


def _require_incoming(shift: Shift, incoming: Actor) -> None:
    if incoming.id is None or incoming.is_system:
        raise ValidationError(t("handover.error.needs_operator"))
    if incoming.id == shift.outgoing_id:
        raise ValidationError(t("handover.error.same_operator"))
    if shift.incoming_id is not None and shift.incoming_id != incoming.id:
        raise PermissionDenied(t("handover.error.not_incoming"))


def receive_handover(session: Session, shift: Shift, *, incoming: Actor) -> Shift:
    """The incoming operator (proven by PIN by the caller) starts going through the digest."""
    _require_prepared(shift)
    if incoming.id is None or incoming.is_system:
        raise ValidationError(t("handover.error.needs_operator"))
    if incoming.id == shift.outgoing_id:
        raise ValidationError(t("handover.error.same_operator"))
    if shift.incoming_id not in (None, incoming.id):
        state = handover_state(session, shift)
        if state.acked or state.questions or state.parcel_count:
            raise ConflictError(t("handover.error.other_incoming"))
    shift.incoming_id = incoming.id
    session.add(shift)
    session.flush()
    return shift


def acknowledge(
    session: Session,
    shift: Shift,
    *,
    incoming: Actor,
    keys: Sequence[str],
    now: datetime | None = None,
) -> list[HandoverEntry]:
    """Acknowledge digest items, one entry per item (already acknowledged ones are skipped)."""
    _require_prepared(shift)
    _require_incoming(shift, incoming)
    state = handover_state(session, shift)
    assert state.digest is not None and state.handover_entry is not None
    by_key = {i.key: i for i in state.digest.items}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise ValidationError(t("handover.error.unknown_item", key=unknown[0]))
    if PARCELS_KEY in keys and state.parcel_count is None:
        raise ValidationError(t("handover.missing.parcel_count"))
    if shift.incoming_id is None:
        receive_handover(session, shift, incoming=incoming)
    made = []
    now = now or utcnow()
    for key in dict.fromkeys(keys):
        if key in state.acked:
            continue
        item = by_key[key]
        title = f"{item.ref} {item.text}".strip()[:200] or key
        made.append(
            chain.append(
                session,
                _new_entry(
                    shift,
                    incoming,
                    EntryKind.ACK,
                    at=now,
                    category=key[:32],
                    body=title,
                    reply_to_id=state.handover_entry.id,
                ),
                flush=False,
            )
        )
    session.flush()
    return made


def ask(
    session: Session, shift: Shift, *, incoming: Actor, text: str, now: datetime | None = None
) -> HandoverEntry:
    """H-2 / H-4: the incoming operator asks about a discrepancy; it must be answered."""
    _require_prepared(shift)
    _require_incoming(shift, incoming)
    text = strip_controls(text, multiline=True)
    if not text:
        raise ValidationError(t("handover.error.body_required"), field="body")
    if len(text) > 4000:
        raise ValidationError(t("handover.error.too_long", max=4000), field="body")
    if shift.incoming_id is None:
        receive_handover(session, shift, incoming=incoming)
    return chain.append(
        session, _new_entry(shift, incoming, EntryKind.QUESTION, at=now or utcnow(), body=text)
    )


def answer(
    session: Session,
    shift: Shift,
    *,
    outgoing: Actor,
    question_id: int,
    text: str,
    now: datetime | None = None,
) -> HandoverEntry:
    """The outgoing operator answers a question before leaving (H-2, H-4, H-10)."""
    _require_prepared(shift)
    if outgoing.id != shift.outgoing_id:
        raise PermissionDenied(t("handover.error.not_holder"))
    text = strip_controls(text, multiline=True)
    if not text:
        raise ValidationError(t("handover.error.body_required"), field="body")
    if len(text) > 4000:
        raise ValidationError(t("handover.error.too_long", max=4000), field="body")
    state = handover_state(session, shift)
    question = next((q for q in state.questions if q.entry.id == question_id), None)
    if question is None:
        raise NotFound(t("handover.error.no_such_question", id=question_id))
    if question.answer is not None:
        raise ConflictError(t("handover.error.already_answered"))
    return chain.append(
        session,
        _new_entry(
            shift,
            outgoing,
            EntryKind.ANSWER,
            at=now or utcnow(),
            body=text,
            reply_to_id=question_id,
        ),
    )


def record_parcel_count(
    session: Session,
    shift: Shift,
    *,
    incoming: Actor,
    counted: dict[str, int],
    note: str = "",
    now: datetime | None = None,
) -> HandoverEntry:
    """H-12: the incoming operator counts the waiting items by shelf.

    A count that differs from the digest needs a note; it is recorded as a discrepancy,
    reported to the supervisor (audit event ``parcel_discrepancy`` and the countersign list).
    """
    _require_prepared(shift)
    _require_incoming(shift, incoming)
    state = handover_state(session, shift)
    assert state.digest is not None and state.handover_entry is not None
    if any(n < 0 for n in counted.values()):
        raise ValidationError(t("handover.error.bad_count"), field="counted")
    expected = {k: v for k, v in state.digest.parcels_by_shelf.items() if v}
    clean = {k: v for k, v in counted.items() if v}
    note = strip_controls(note, multiline=True)
    discrepancy = clean != expected
    if discrepancy and not note:
        raise ValidationError(t("handover.error.discrepancy_note"), field="note")
    if len(note) > 1000:
        raise ValidationError(t("handover.error.too_long", max=1000), field="note")
    if shift.incoming_id is None:
        receive_handover(session, shift, incoming=incoming)
    now = now or utcnow()
    body = {
        "expected": expected,
        "counted": clean,
        "note": note,
        "expected_total": sum(expected.values()),
        "counted_total": sum(clean.values()),
    }
    entry = chain.append(
        session,
        _new_entry(
            shift,
            incoming,
            EntryKind.PARCEL_COUNT,
            at=now,
            category="discrepancy" if discrepancy else "confirmed",
            body=_dump(body),
            reply_to_id=state.handover_entry.id,
        ),
    )
    if discrepancy:
        audit.record(
            session,
            "parcel_discrepancy",
            "shift",
            shift.id,
            site_id=shift.site_id,
            note=t(
                "handover.text.parcels_discrepancy",
                expected=body["expected_total"],
                counted=body["counted_total"],
                note=note,
            ),
        )
    if PARCELS_KEY not in state.acked:
        chain.append(
            session,
            _new_entry(
                shift,
                incoming,
                EntryKind.ACK,
                at=now,
                category=PARCELS_KEY,
                body=t("handover.digest.parcels_total", total=body["counted_total"]),
                reply_to_id=state.handover_entry.id,
            ),
        )
    return entry


def sign_handover(
    session: Session,
    settings: Settings,
    shift: Shift,
    *,
    outgoing: Actor,
    incoming: Actor,
    now: datetime | None = None,
) -> Shift:
    """H-6: both operators sign (the caller proved each PIN); the shift closes, the next opens.

    Returns the new shift, held by the incoming operator.
    """
    now = now or utcnow()
    _require_prepared(shift)
    if outgoing.id != shift.outgoing_id:
        raise PermissionDenied(t("handover.error.not_holder"))
    _require_incoming(shift, incoming)
    if shift.incoming_id is None:
        receive_handover(session, shift, incoming=incoming)
    state = handover_state(session, shift)
    missing = state.missing()
    if missing:
        raise ValidationError(t("handover.error.not_ready", missing="; ".join(missing)))
    assert state.handover_entry is not None
    signed = {"handover_seq": state.handover_entry.seq, "handover_hash": state.handover_entry.hash}
    out_entry = chain.append(
        session,
        _new_entry(
            shift, outgoing, EntryKind.SIGNATURE, at=now, category="outgoing", body=_dump(signed)
        ),
    )
    in_entry = chain.append(
        session,
        _new_entry(
            shift, incoming, EntryKind.SIGNATURE, at=now, category="incoming", body=_dump(signed)
        ),
    )
    shift.outgoing_signed_at = out_entry.at
    shift.incoming_signed_at = in_entry.at
    shift.incoming_id = incoming.id
    shift.closed_at = now
    shift.status = ShiftStatus.CLOSED.value
    session.add(shift)
    session.flush()
    following = period_after(settings, shift, now)
    return open_shift(
        session, settings, site_id=shift.site_id, holder=incoming, now=now, period=following
    )
