"""R-14 beyond the terminals: an emergency order is also sent out at once.

Every terminal rings for an emergency (the dispatch feed); R-14 also says engineering is
told at once and the CS supervisor is phoned. Where a site lists Apprise URLs in
``notifications.emergency_urls`` (engineering's on-call group, the supervisor's phone
through an SMS gateway, a DingTalk/WeCom group), the order is queued for them in the same
transaction that creates it, so a crash between saving and sending loses nothing: the
outbox (``shiftdesk.notify``) delivers it from the terminal that saved it, from any other
terminal's next delivery, or from cron (``shiftdesk parcels outbox --send``).
"""

from __future__ import annotations

from sqlmodel import Session

from shiftdesk import notify
from shiftdesk.config import Settings
from shiftdesk.models import Notification, WorkOrder
from shiftdesk.timeutil import to_local

#: the outbox kind of an emergency message (a manager kind: quiet hours do not hold it back)
KIND = "alarm"


def queue_emergency(
    session: Session, settings: Settings, order: WorkOrder, where: str
) -> list[Notification]:
    """Queue the emergency order for every ``notifications.emergency_urls`` (R-14); none
    for another priority or when no URL is configured. ``where`` is the unit code, if any
    (else the order's own location is named)."""
    urls = settings.notifications.emergency_urls
    if order.priority != "emergency" or not urls:
        return []
    assert order.id is not None
    at = to_local(order.reported_at, settings.site.timezone).strftime("%m-%d %H:%M")
    title, body = notify.template(
        "alarm.emergency",
        notify.notification_locale(settings),
        site=settings.site.name,
        id=order.id,
        where=where or order.location or "-",
        summary=order.summary[:500],
        at=at,
        minutes=settings.workorders.arrival_emergency_minutes,
    )
    return notify.enqueue(
        session, settings, site_id=order.site_id, kind=KIND, title=title, body=body, urls=urls
    )
