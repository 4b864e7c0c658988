"""Presentation of the handover (domain §2): the labels and sentences operators read.

Everything here is pure: it turns stored keys and digest items into text in the
current locale (``t``); no session, no writes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shiftdesk.clocks import open_state
from shiftdesk.i18n import has, t
from shiftdesk.models import (
    HandoverEntry,
    Shift,
)
from shiftdesk.models.handover import EntryKind
from shiftdesk.timeutil import to_local

if TYPE_CHECKING:
    from shiftdesk.handover.digest import DigestItem


def period_label(name: str) -> str:
    key = f"shift.{name}"
    return t(key) if has(key) else name


def shift_label(shift: Shift, tz: str) -> str:
    """What the status bar shows: "Day 11-22 08:00–20:00"."""
    start = to_local(shift.period_start, tz)
    end = to_local(shift.period_end, tz)
    return f"{period_label(shift.name)} {start:%m-%d %H:%M}–{end:%H:%M}"


def kind_text(kind: str, category: str = "") -> str:
    """ "Note", "Event: owner complaint", "Incident: fire" ... in the current locale."""
    base = t(f"handover.kind.{kind}")
    if kind == EntryKind.EVENT.value and category:
        return f"{base}: {t(f'handover.event.{category}')}"
    if kind == EntryKind.INCIDENT.value and category:
        return f"{base}: {t(f'handover.incident.{category}')}"
    return base


def kind_label(entry: HandoverEntry) -> str:
    """An entry's kind (and event/incident category) as ``kind_text`` names it."""
    return kind_text(entry.kind, entry.category)


def entry_text(entry: HandoverEntry, seq_of: dict[int, int] | None = None) -> str:
    """The human text of an entry (for a log line; structured kinds are summarised)."""
    kind = entry.kind
    data: dict[str, Any] = {}
    if kind in (
        EntryKind.OPEN.value,
        EntryKind.HANDOVER.value,
        EntryKind.OVERRIDE.value,
        EntryKind.PARCEL_COUNT.value,
        EntryKind.SIGNATURE.value,
        EntryKind.COUNTERSIGN.value,
    ):
        try:
            data = json.loads(entry.body or "{}")
        except ValueError:
            data = {}
    if kind == EntryKind.OPEN.value:
        off = int(data.get("opened_off_by_minutes", 0))
        if off < 0:
            return t("handover.text.opened_early", minutes=-off)
        if off > 0:
            return t("handover.text.opened_late", minutes=off)
        return t("handover.text.opened_on_time")
    if kind == EntryKind.HANDOVER.value:
        return t(
            "handover.text.prepared",
            items=data.get("items", 0),
            blocking=len(data.get("blocking", [])),
        )
    if kind == EntryKind.OVERRIDE.value:
        return t(
            "handover.text.override",
            reason=data.get("reason", ""),
            items=len(data.get("items", [])),
        )
    if kind == EntryKind.PARCEL_COUNT.value:
        if entry.category == "confirmed":
            return t("handover.text.parcels_confirmed", total=data.get("expected_total", 0))
        return t(
            "handover.text.parcels_discrepancy",
            expected=data.get("expected_total", 0),
            counted=data.get("counted_total", 0),
            note=data.get("note", ""),
        )
    if kind == EntryKind.SIGNATURE.value:
        return t(f"handover.text.signed_{entry.category}")
    if kind == EntryKind.COUNTERSIGN.value:
        return t("handover.text.countersigned", day=data.get("day", ""))
    if kind == EntryKind.ACK.value:
        return t("handover.text.ack", item=entry.body)
    if kind == EntryKind.ANSWER.value and entry.reply_to_id is not None:
        ref = (seq_of or {}).get(entry.reply_to_id, entry.reply_to_id)
        return t("handover.text.answer", ref=ref, text=entry.body)
    parts = [entry.body]
    if entry.location:
        parts.append(f"{t('handover.field.location')}: {entry.location}")
    if entry.actions:
        parts.append(f"{t('handover.field.actions')}: {entry.actions}")
    if entry.notified:
        parts.append(f"{t('handover.field.notified')}: {entry.notified}")
    if entry.photos:
        parts.append(f"{t('handover.field.photos')}: {entry.photos.replace(chr(10), ', ')}")
    if entry.corrects_id is not None:
        ref = (seq_of or {}).get(entry.corrects_id, entry.corrects_id)
        parts.insert(0, t("handover.text.corrects", ref=ref))
    return " · ".join(p for p in parts if p)


def _category_label(category: str) -> str:
    key = f"handover.call_category.{category}"
    return t(key) if has(key) else category


def _trade_label(trade: str) -> str:
    key = f"dispatch.trade.{trade}"  # the dispatch board's names for the trades
    return t(key) if has(key) else trade


def _priority_label(priority: str) -> str:
    key = f"handover.priority.{priority}"
    return t(key) if has(key) else priority


def _record_ref(key: str, detail: dict[str, Any]) -> str:
    """ "Order 12" / "维修单 12" for a digest key, in the current locale."""
    prefix, _, ident = key.partition(":")
    if prefix == "wo":
        return t("handover.ref.order", id=ident)
    if prefix == "complaint":
        return t("handover.ref.complaint", id=ident)
    if prefix == "callback":
        if detail.get("order_id"):
            return t("handover.ref.order", id=detail["order_id"])
        if detail.get("complaint_id"):
            return t("handover.ref.complaint", id=detail["complaint_id"])
    return ""


def describe_item(item: DigestItem, tz: str, now: datetime | None = None) -> tuple[str, str]:
    """(title, detail) of a digest item in the current locale."""
    d = item.detail
    clock = d.get("clock")
    clock_text = ""
    if clock:
        due = datetime.fromisoformat(clock["due_at"])
        state = clock["state"] if now is None else open_state(due, now).value
        clock_text = t(
            "handover.digest.clock",
            rule=clock["rule"],
            due=f"{to_local(due, tz):%m-%d %H:%M}",
            state=t(f"handover.clock.{state}"),
        )
    head = " ".join(x for x in (_record_ref(item.key, d), item.ref) if x)
    if item.key.startswith("wo:"):
        stage = t(f"handover.stage.{d.get('stage')}")
        priority = _priority_label(d.get("priority", ""))
        return f"{head} · {stage}", " · ".join(x for x in (priority, item.text, clock_text) if x)
    if item.key.startswith("complaint:"):
        level_key = f"handover.level.{d.get('level')}"
        level = t(level_key) if has(level_key) else d.get("level", "")
        status = t(f"handover.complaint_status.{d.get('status')}")
        return f"{head} · {level}", " · ".join(x for x in (status, item.text, clock_text) if x)
    if item.section == "callbacks":
        return head, " · ".join(x for x in (item.text, clock_text) if x)
    if item.section == "parcels":
        return (
            t("handover.digest.parcels_total", total=d.get("total", 0)),
            item.text or t("handover.digest.parcels_none"),
        )
    if item.section == "incidents":
        kind = kind_text(d.get("kind", ""), d.get("category", ""))
        return f"{item.ref} · {kind}", " · ".join(
            x for x in (d.get("location", ""), item.text) if x
        )
    if item.section == "instructions":
        return t("handover.section.instructions"), item.text
    return item.ref, item.text
