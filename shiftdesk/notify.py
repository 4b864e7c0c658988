"""Notifications through Apprise, with an outbox that never loses a message.

Every message is first a ``Notification`` row (status ``pending``), written in the same
transaction as the record it is about, then delivered by ``deliver_due`` outside any
transaction and off the UI thread. A failed send is kept as ``failed`` and retried with
exponential backoff; after ``notifications.retry_max_attempts`` it becomes ``gave_up``, stays
visible to the operator and can be re-queued (``requeue``). Nothing is deleted.

Resident messages respect quiet hours (P-13: nothing between ``parcels.quiet_start`` and
``parcels.quiet_end``, they wait for the morning); manager messages (kinds ``report`` and
``alarm``) do not.

Apprise URLs come from config (``notifications.urls`` for residents, ``manager_urls`` for
managers). A URL may contain ``{phone}``, replaced by the resident's phone when sending (an
SMS gateway's webhook, for instance). The database never stores a URL, only a hash of it
(``channel``), because URLs carry passwords and tokens.

The API other areas use (statistics e-mail, alarms)::

    from shiftdesk import notify

    notify.enqueue(session, settings, site_id=site.id, kind="report", title=..., body=...,
                   urls=settings.notifications.manager_urls)
    ...  # commit (transact does)
    report = notify.deliver_due(engine, settings)     # in a worker thread or a cron job

``send_now(urls, title, body)`` sends at once without the outbox (``parcels notify-test``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from shiftdesk.clocks.parcels import in_quiet_hours, next_allowed, retry_delay
from shiftdesk.config import Settings
from shiftdesk.db import SYSTEM, Actor, read_session, transact
from shiftdesk.i18n import t_in
from shiftdesk.models import Notification, NotificationStatus
from shiftdesk.timeutil import parse_hhmm, utcnow

#: kinds addressed to managers: not held back by the residents' quiet hours
MANAGER_KINDS = frozenset({"report", "alarm"})
#: how long a sender may hold a claimed message before another sender may retry it
LEASE = timedelta(minutes=5)

#: (url, title, body) -> (delivered, error text)
Sender = Callable[[str, str, str], tuple[bool, str]]


# ---------------------------------------------------------------------------- channels


def channel_key(url: str) -> str:
    """A stable, secret-free name for a configured URL (stored instead of the URL)."""
    return hashlib.sha256(url.encode()).hexdigest()[:12]


def scheme(url: str) -> str:
    return url.split("://", 1)[0].lower()[:24] if "://" in url else "?"


def redact(url: str) -> str:
    """A URL safe to show or log: Apprise's privacy form (passwords and tokens masked)."""
    import apprise

    try:
        plugin = apprise.Apprise.instantiate(url.replace("{phone}", "0"))
    except Exception:
        plugin = None
    if not plugin:
        return f"{scheme(url)}://…"
    return str(plugin.url(privacy=True)).split("?", 1)[0]


def render_url(template: str, address: str) -> str:
    return template.replace("{phone}", quote(address, safe="+"))


def notification_locale(settings: Settings) -> str:
    return settings.notifications.locale or settings.locale


def template(key: str, locale: str, **values: object) -> tuple[str, str]:
    """A message from the catalogs: ``<key>.title`` and ``<key>.body`` in ``locale``."""
    return t_in(locale, f"{key}.title", **values), t_in(locale, f"{key}.body", **values)


# ---------------------------------------------------------------------------- writing


def _not_before(settings: Settings, kind: str, at: datetime) -> datetime:
    if kind in MANAGER_KINDS:
        return at
    p = settings.parcels
    return next_allowed(
        at, parse_hhmm(p.quiet_start), parse_hhmm(p.quiet_end), settings.site.timezone
    )


def enqueue(
    session: Session,
    settings: Settings,
    *,
    site_id: int,
    kind: str,
    title: str,
    body: str,
    urls: Sequence[str],
    parcel_id: int | None = None,
    resident_id: int | None = None,
    address: str = "",
    now: datetime | None = None,
) -> list[Notification]:
    """Queue one message per URL (``pending``); returns the rows, empty if nothing to send.

    A URL with ``{phone}`` is skipped when ``address`` is empty. Resident kinds queued in
    quiet hours get ``not_before`` = the next morning (P-13).
    """
    now = now or utcnow()
    not_before = _not_before(settings, kind, now)
    rows: list[Notification] = []
    for url in urls:
        if "{phone}" in url and not address:
            continue
        rows.append(
            Notification(
                site_id=site_id,
                parcel_id=parcel_id,
                resident_id=resident_id,
                kind=kind,
                method=scheme(url),
                channel=channel_key(url),
                address=address if "{phone}" in url else "",
                title=title[:200],
                body=body[:2000],
                status=NotificationStatus.PENDING.value,
                created_at=now,
                not_before=not_before,
            )
        )
    session.add_all(rows)
    session.flush()
    return rows


def record_suppressed(
    session: Session,
    *,
    site_id: int,
    kind: str,
    title: str,
    body: str,
    note: str,
    parcel_id: int | None = None,
    resident_id: int | None = None,
    now: datetime | None = None,
) -> Notification:
    """P-8: the message that was NOT sent, and why (the resident's do-not-notify note)."""
    row = Notification(
        site_id=site_id,
        parcel_id=parcel_id,
        resident_id=resident_id,
        kind=kind,
        method="none",
        title=title[:200],
        body=body[:2000],
        note=note[:200],
        status=NotificationStatus.SUPPRESSED.value,
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def record_contact(
    session: Session,
    *,
    site_id: int,
    kind: str,
    method: str,
    note: str,
    parcel_id: int | None = None,
    resident_id: int | None = None,
    operator_id: int | None = None,
    now: datetime | None = None,
) -> Notification:
    """A contact made by hand (phone call, home visit, note in the mailbox): P-9's record."""
    now = now or utcnow()
    row = Notification(
        site_id=site_id,
        parcel_id=parcel_id,
        resident_id=resident_id,
        kind=kind,
        method=method[:24],
        note=note[:200],
        status=NotificationStatus.SENT.value,
        attempts=1,
        created_at=now,
        sent_at=now,
        recorded_by=operator_id,
    )
    session.add(row)
    session.flush()
    return row


def requeue(
    session: Session,
    site_id: int,
    ids: Sequence[int] | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """Put failed or given-up messages back in the queue to be tried at once (at ``now``, the
    caller's clock, so a delivery run at the same clock sees them due); returns the count."""
    stmt = select(Notification).where(
        Notification.site_id == site_id,
        col(Notification.status).in_(
            [NotificationStatus.FAILED.value, NotificationStatus.GAVE_UP.value]
        ),
    )
    if ids is not None:
        stmt = stmt.where(col(Notification.id).in_(list(ids)))
    rows = list(session.exec(stmt))
    now = now or utcnow()
    for row in rows:
        row.status = NotificationStatus.PENDING.value
        row.attempts = 0
        row.not_before = now
        session.add(row)
    session.flush()
    return len(rows)


def outbox_counts(session: Session, site_id: int) -> dict[str, int]:
    """How many messages are in each status (the screen shows failures and waiting ones)."""
    rows = session.exec(
        select(Notification.status, func.count())
        .where(Notification.site_id == site_id)
        .group_by(Notification.status)
    ).all()
    counts = {s.value: 0 for s in NotificationStatus}
    counts.update({status: int(n) for status, n in rows})
    return counts


# ---------------------------------------------------------------------------- sending


def apprise_send(url: str, title: str, body: str) -> tuple[bool, str]:
    """Send one message through Apprise; the error is the last warning Apprise logged."""
    import apprise

    ap = apprise.Apprise()
    if not ap.add(url):
        return False, f"not a usable Apprise URL ({redact(url)})"
    with apprise.LogCapture(level=apprise.logging.WARNING) as logs:
        ok = bool(ap.notify(body=body, title=title))
    if ok:
        return True, ""
    lines = [ln for ln in str(logs.getvalue()).splitlines() if ln.strip()]
    detail = lines[-1].split(" - ", 2)[-1] if lines else "delivery failed"
    return False, detail[:500]


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def send_now(
    urls: Sequence[str], title: str, body: str, *, sender: Sender | None = None
) -> SendResult:
    """Send at once to every URL, without the outbox (a test message, a one-off)."""
    send = sender or apprise_send
    result = SendResult()
    for url in urls:
        ok, error = send(url, title, body)
        if ok:
            result.sent += 1
        else:
            result.failed += 1
            result.errors.append(f"{redact(url)}: {error}")
    return result


@dataclass
class DeliveryReport:
    """What one ``deliver_due`` run did."""

    sent: int = 0
    failed: int = 0
    gave_up: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.failed + self.gave_up


@dataclass(frozen=True)
class _Claimed:
    id: int
    kind: str
    channel: str
    address: str
    title: str
    body: str
    attempts: int


def _configured(settings: Settings) -> dict[str, str]:
    n = settings.notifications
    return {channel_key(url): url for url in [*n.urls, *n.manager_urls, *n.emergency_urls]}


def _claim(
    session: Session, settings: Settings, now: datetime, site_id: int | None, limit: int
) -> list[_Claimed]:
    """Take due messages for this sender: a conditional UPDATE, so two terminals never
    send the same message twice. A ``sending`` row whose lease ran out is taken again."""
    p = settings.parcels
    quiet = in_quiet_hours(
        now, parse_hhmm(p.quiet_start), parse_hhmm(p.quiet_end), settings.site.timezone
    )
    due = or_(
        col(Notification.status).in_(
            [NotificationStatus.PENDING.value, NotificationStatus.FAILED.value]
        ),
        col(Notification.status) == NotificationStatus.SENDING.value,
    )
    stmt = select(Notification).where(
        due, or_(col(Notification.not_before).is_(None), col(Notification.not_before) <= now)
    )
    if site_id is not None:
        stmt = stmt.where(Notification.site_id == site_id)
    if quiet:  # P-13: resident messages wait, even a retry that fell due at night
        stmt = stmt.where(col(Notification.kind).in_(list(MANAGER_KINDS)))
    rows = list(
        session.exec(stmt.order_by(col(Notification.not_before), col(Notification.id)).limit(limit))
    )
    claimed: list[_Claimed] = []
    for row in rows:
        assert row.id is not None
        # copy first: the ORM-enabled UPDATE below also updates ``row`` in the session
        before = _Claimed(
            row.id, row.kind, row.channel, row.address, row.title, row.body, row.attempts + 1
        )
        result = session.execute(
            update(Notification)
            .where(
                col(Notification.id) == before.id,
                col(Notification.status) == row.status,
                col(Notification.attempts) == before.attempts - 1,
            )
            .values(
                status=NotificationStatus.SENDING.value,
                attempts=before.attempts,
                not_before=now + LEASE,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(before)
    session.expire_all()
    return claimed


def deliver_due(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime | None = None,
    site_id: int | None = None,
    limit: int = 100,
    sender: Sender | None = None,
    actor: Actor = SYSTEM,
) -> DeliveryReport:
    """Send every message that is due, record each outcome; safe to run from many places.

    Pass ``site_id`` when one database holds several sites: a message is sent through this
    configuration's URLs, and another site's channels are not among them.
    Blocking (network): call it from a worker thread or a cron job, never the UI thread.
    """
    now = now or utcnow()
    send = sender or apprise_send
    claimed = transact(engine, lambda s: _claim(s, settings, now, site_id, limit), actor=actor)
    if not claimed:
        return DeliveryReport()
    urls = _configured(settings)
    outcomes: list[tuple[_Claimed, bool, str]] = []
    for item in claimed:
        url = urls.get(item.channel)
        if url is None:
            outcomes.append((item, False, "this channel is no longer in notifications.urls"))
            continue
        try:
            ok, error = send(render_url(url, item.address), item.title, item.body)
        except Exception as exc:  # a plugin bug must not lose the message
            ok, error = False, f"{type(exc).__name__}: {exc}"
        outcomes.append((item, ok, error))

    max_attempts = settings.notifications.retry_max_attempts
    base = settings.notifications.retry_base_seconds

    def _record(session: Session) -> DeliveryReport:
        report = DeliveryReport()  # fresh on every try: transact may run this twice
        for item, ok, error in outcomes:
            row = session.get(Notification, item.id)
            if row is None:
                continue
            if ok:
                row.status = NotificationStatus.SENT.value
                row.sent_at = now
                row.error = ""
                row.not_before = None
                report.sent += 1
            else:
                row.error = error[:500]
                if item.attempts >= max_attempts:
                    row.status = NotificationStatus.GAVE_UP.value
                    row.not_before = None
                    report.gave_up += 1
                else:
                    row.status = NotificationStatus.FAILED.value
                    retry_at = now + retry_delay(item.attempts, base)
                    row.not_before = _not_before(settings, item.kind, retry_at)
                    report.failed += 1
                report.errors.append(error)
            session.add(row)
        return report

    return transact(engine, _record, actor=actor)


def pending_count(engine: Engine, site_id: int) -> int:
    """Messages still to go (pending, retrying or being sent)."""
    with read_session(engine) as session:
        counts = outbox_counts(session, site_id)
    return counts["pending"] + counts["failed"] + counts["sending"]
