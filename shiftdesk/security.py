"""PINs, roles and sign-in.

PINs are hashed with scrypt (memory-hard, in the standard library) and a per-operator
salt. Roles are enforced here, in the core, so a script cannot do what the UI hides.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from shiftdesk import audit
from shiftdesk.db import Actor, transact
from shiftdesk.errors import PermissionDenied, ValidationError
from shiftdesk.i18n import t
from shiftdesk.models import Operator, Role, Site
from shiftdesk.timeutil import utcnow

# scrypt with n=2**14, r=8 uses 16 MiB per hash: slow to brute-force, quick enough to sign in.
_N, _R, _P = 2**14, 8, 1


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            pin.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def check_pin_format(pin: str) -> None:
    if not (pin.isdigit() and pin.isascii() and 4 <= len(pin) <= 12):
        raise ValidationError(t("cli.operators.pin_weak"), field="pin")


def has_role(role: str, needed: Role) -> bool:
    try:
        return Role(role).rank >= needed.rank
    except ValueError:
        return False


def require_role(actor: Actor, needed: Role) -> None:
    """Refuse unless the actor holds ``needed`` or a higher role (system counts as admin)."""
    if not has_role(actor.role, needed):
        raise PermissionDenied(
            t(
                "cli.role_required",
                role=t(f"role.{needed.value}"),
                name=actor.name,
                actual=t(f"role.{actor.role}")
                if actor.role in {r.value for r in Role}
                else actor.role,
            )
        )


def actor_for(operator: Operator) -> Actor:
    return Actor(name=operator.name, id=operator.id, role=operator.role)


class SignInError(ValidationError):
    pass


def may_sign_in_at(operator: Operator, site: Site | None) -> bool:
    """§1: an operator works at their own site's desk; an operator of no site (company-wide)
    and an admin (who runs the company's system) may sign in at any site's terminal."""
    if operator.site_id is None or operator.role == Role.ADMIN.value:
        return True
    return site is not None and site.id == operator.site_id


def _attempt(
    session: Session,
    name: str,
    pin: str,
    lockout_attempts: int,
    lockout_minutes: int,
    site_code: str | None = None,
    now: datetime | None = None,
) -> Operator | str:
    """Check a PIN and record the attempt; returns the operator or the refusal message.

    It does not raise: the failure count and lock-out must be committed even though the
    sign-in fails. ``site_code`` is the terminal's site: an operator of another site is
    refused (checked after the PIN, so a wrong name and a wrong site look the same to
    someone guessing, and not counted toward lock-out, since the PIN was right).
    """
    name = name.strip()
    if not name or not pin:
        return t("signin.empty")
    operator = session.exec(select(Operator).where(Operator.name == name)).first()
    now = now or utcnow()
    if operator is None or operator.name == "system":
        audit.record(
            session, "sign_in_failed", "operator", None, note=f"unknown name {name[:40]!r}"
        )
        return t("signin.bad_credentials")
    if not operator.active:
        audit.record(session, "sign_in_failed", "operator", operator.id, note="disabled")
        return t("signin.disabled", name=operator.name)
    if operator.locked_until is not None and operator.locked_until > now:
        audit.record(session, "sign_in_failed", "operator", operator.id, note="locked out")
        return t(
            "signin.locked", name=operator.name, until=operator.locked_until.strftime("%H:%M UTC")
        )
    if not verify_pin(pin, operator.pin_hash):
        operator.failed_attempts += 1
        if operator.failed_attempts >= lockout_attempts:
            operator.locked_until = now + timedelta(minutes=lockout_minutes)
            operator.failed_attempts = 0
        session.add(operator)
        session.flush()
        audit.record(session, "sign_in_failed", "operator", operator.id, note="wrong PIN")
        return t("signin.bad_credentials")
    if site_code is not None:
        here = session.exec(select(Site).where(Site.code == site_code)).first()
        if not may_sign_in_at(operator, here):
            theirs = session.get(Site, operator.site_id)
            theirs_code = theirs.code if theirs is not None else str(operator.site_id)
            audit.record(
                session,
                "sign_in_failed",
                "operator",
                operator.id,
                site_id=here.id if here is not None else None,
                note=f"other site: {theirs_code} on a terminal of {site_code}"[:200],
            )
            return t(
                "reliability.signin.other_site",
                name=operator.name,
                theirs=theirs_code,
                here=site_code,
            )
    if operator.failed_attempts or operator.locked_until:
        operator.failed_attempts = 0
        operator.locked_until = None
        session.add(operator)
        session.flush()
    audit.record(session, "sign_in", "operator", operator.id, site_id=operator.site_id)
    return operator


def authenticate(
    engine: Engine,
    name: str,
    pin: str,
    *,
    lockout_attempts: int = 5,
    lockout_minutes: int = 10,
    site_code: str | None = None,
    now: datetime | None = None,
) -> Operator:
    """Sign an operator in: failures are counted and committed, then refused (lock-out).

    ``now`` (default: the wall clock) stamps the attempt and judges a lock-out's end.

    ``site_code``: the terminal's site (``site.code``); the operator must belong to it
    (see ``may_sign_in_at``). None skips the check (a database-wide tool).
    """
    outcome = transact(
        engine,
        lambda s: _attempt(s, name, pin, lockout_attempts, lockout_minutes, site_code, now),
    )
    if isinstance(outcome, str):
        raise SignInError(outcome)
    return outcome
