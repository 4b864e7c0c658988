"""What the parcel panes share: the site, local times, message lines, notice labels."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from sqlmodel import Session
from textual.widgets import Static

from screens.access import AppAccess
from shiftdesk.config import Settings
from shiftdesk.i18n import t
from shiftdesk.timeutil import to_local


class ParcelsPart(AppAccess):
    """Mixin of the parcel screen and its panes: settings, the site id, local times."""

    @property
    def settings(self) -> Settings:
        return self.shiftdesk.settings

    def _site_id(self, session: Session) -> int:
        site = self.shiftdesk.site
        if site is not None and site.id is not None:
            return int(site.id)
        from shiftdesk.sites import get_site

        found = get_site(session, self.settings.site.code)
        assert found.id is not None
        return int(found.id)

    def _local(self, moment: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
        if moment is None:
            return ""
        return to_local(moment, self.settings.site.timezone).strftime(fmt)


def show_message(widget: Static, text: str, kind: str = "") -> None:
    """A pane's message line: ``kind`` "ok" (green), "error" (red) or plain."""
    widget.update(text)
    widget.set_class(kind == "ok", "-ok")
    widget.set_class(kind == "error", "-error")


def col(key: str) -> str:
    return {"received": "received_at", "days": "age_days", "last": "last_contact"}.get(key, key)


def notice(status: str) -> Text:
    label = t(f"parcels.notice.{status or 'none'}")
    style = {
        "failed": "bold yellow",
        "gave_up": "bold white on red",
        "suppressed": "italic",
        "sent": "green",
    }.get(status, "")
    return Text(label, style=style)
