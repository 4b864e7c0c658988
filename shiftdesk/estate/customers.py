"""The customer file (客户档案, §11): who may view, enter and change it (A-4, roles in
``[customers]``), the read log of who opened a file or revealed a phone, when and why (A-6),
the file's own fields (emergency contact, P-8 preference, H-17 instructions) and the
history on one page (A-2)."""

from __future__ import annotations

from sqlmodel import Session

from shiftdesk.config import Settings
from shiftdesk.db import SYSTEM, Actor
from shiftdesk.errors import ConfigError
from shiftdesk.i18n import t
from shiftdesk.models import Role
from shiftdesk.security import require_role

#: what is permitted by role (A-4): the config key is ``<action>_role``
ACTIONS = ("view", "enter", "change")


def role_for(settings: Settings, action: str) -> Role:
    value = getattr(settings.customers, f"{action}_role")
    try:
        return Role(value)
    except ValueError:
        raise ConfigError(
            t(
                "estate.error.bad_role",
                key=f"customers.{action}_role",
                value=value,
                allowed=", ".join(r.value for r in Role),
            )
        ) from None


def require(session: Session, settings: Settings, action: str) -> Actor:
    """Refuse unless the session's actor may ``action`` customer data (A-4)."""
    actor: Actor = session.info.get("actor", SYSTEM)
    require_role(actor, role_for(settings, action))
    return actor
