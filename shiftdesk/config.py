"""Configuration: typed sections, one precedence rule, one-line errors.

Precedence: CLI flag > ``SHIFTDESK_*`` environment > config file > built-in defaults.
The defaults are the numbers in the client's manuals (shared/domain.md); where the
manuals disagree the value is a key here, and the comment in config.toml says so.

Environment: ``SHIFTDESK_CONFIG`` (file), ``SHIFTDESK_DB`` (database URL),
``SHIFTDESK_LOCALE``, ``SHIFTDESK_SITE`` (site code), and any key as
``SHIFTDESK_<SECTION>__<KEY>`` (e.g. ``SHIFTDESK_WORKORDERS__DISPATCH_MINUTES=5``).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import tempfile
import tomllib
import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shiftdesk.errors import ConfigError
from shiftdesk.i18n import get_locale, set_locale, t

LOCALES = ("en", "zh_CN")
APP_NAME = "shiftdesk"


@dataclass
class SiteConfig:
    code: str = "DEMO"
    name: str = "Demo Garden"
    timezone: str = "Asia/Shanghai"
    desk: str = "front-desk"


@dataclass
class DatabaseConfig:
    #: empty means the embedded default (SQLite under data/ in a checkout)
    url: str = ""
    busy_timeout_ms: int = 5000


@dataclass
class ShiftConfig:
    #: name -> "HH:MM-HH:MM"; a period may wrap midnight
    periods: dict[str, str] = field(
        default_factory=lambda: {"day": "08:00-20:00", "night": "20:00-08:00"}
    )
    #: H-5: prepare the handover this many minutes before the end
    prepare_before_minutes: int = 15


@dataclass
class CallsConfig:
    #: R-5 / C-8: calls in these hours are taken by the security control room
    night_start: str = "20:00"
    night_end: str = "08:00"
    summary_max_length: int = 2000
    name_max_length: int = 40
    #: C-7: a call whose time received is more than this many minutes before it was entered
    #: is marked late-entered (also whenever the form's time received is edited)
    late_entry_minutes: int = 10


@dataclass
class ComplaintsConfig:
    #: "A" (000: general/important/major) or "B" (002: cause class x severity)
    scheme: str = "A"
    # scheme A (CP-1..CP-4)
    a_general_department_minutes: int = 20
    a_general_answer_minutes: int = 30
    a_important_fix_hours: int = 12
    a_major_answer_minutes: int = 30
    a_all_handled_hours: int = 12
    # scheme B (CP-11, CP-9)
    b_response_working_days: int = 1
    b_hot_after_days: int = 7
    b_major_after_days: int = 30
    b_hot_complainants: int = 3
    b_major_complainants: int = 10
    # CP-16 / S-7: 重大 and 热点 complaints, the handling form and the special report
    form_working_days: int = 1
    special_report_days: int = 7
    working_days: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5])
    working_day_start: str = "09:00"
    working_day_end: str = "18:00"


@dataclass
class WorkOrdersConfig:
    #: R-2 says 3 minutes, R-8 says 5: the site chooses
    dispatch_minutes: int = 3
    #: R-3: arrival after dispatch, normal and urgent
    arrival_minutes: int = 15
    arrival_urgent_minutes: int = 10
    #: R-14: emergencies reach the site within 5 minutes
    arrival_emergency_minutes: int = 5
    #: R-13: the daily return check of unfinished orders
    return_check_time: str = "17:00"
    #: amber this many seconds before a clock's limit
    warn_seconds: int = 60
    trades: list[str] = field(
        default_factory=lambda: [
            "plumbing",
            "electrical",
            "civil",
            "lift",
            "doors_locks",
            "hvac",
            "cleaning",
            "other",
        ]
    )
    teams: list[str] = field(
        default_factory=lambda: ["engineering", "security", "cleaning", "greening"]
    )
    #: R-5: the team that takes orders at night
    night_team: str = "security"


@dataclass
class CallbacksConfig:
    #: CB-3 (003): urgent within 24 h; ordinary within a week. CB-4 (004) says 3 days for
    #: complaints: set complaint_days = 3 to follow it.
    urgent_hours: int = 24
    general_days: int = 7
    complaint_days: int = 7
    #: CB-2: no callbacks in the lunch break or after 21:00
    lunch_start: str = "12:00"
    lunch_end: str = "14:00"
    day_start: str = "08:00"
    latest: str = "21:00"
    #: CB-6: chase a callback not done after this many days
    chase_after_days: int = 3
    #: CB-3: a leak repair is called back after the first rain following it, by ``latest``
    #: on the day this many days after the rainy day (0: the rainy day itself)
    leak_days_after_rain: int = 1


@dataclass
class ParcelsConfig:
    #: P-9: remind after a week, then every week
    remind_after_days: int = 7
    remind_every_days: int = 7
    #: P-13: no notifications after 21:30; they wait for the morning
    quiet_start: str = "21:30"
    quiet_end: str = "08:00"
    desk_hours: str = "09:00-18:00"
    #: a scanner types faster than this between keys
    scan_max_interkey_ms: int = 40
    scan_min_length: int = 8
    shelves: list[str] = field(default_factory=lambda: ["A", "B", "C", "D", "E"])
    #: P-15: the red serial of the first notice slip of the pad in use (slips go in order)
    slip_first_serial: int = 1
    #: P-17: hours after a notice slip when an item still uncollected needs a phone call
    slip_call_hours: int = 72


@dataclass
class NotificationsConfig:
    #: Apprise URLs (mailto://, json://, dingtalk://, wecombot://...): empty sends nothing
    urls: list[str] = field(default_factory=list)
    manager_urls: list[str] = field(default_factory=list)
    #: R-14: an emergency order is also sent here at once (engineering on call, supervisor)
    emergency_urls: list[str] = field(default_factory=list)
    retry_max_attempts: int = 6
    retry_base_seconds: int = 30
    #: language of resident notifications: "" follows the top-level locale, or en / zh_CN
    locale: str = ""


@dataclass
class HandoverConfig:
    #: H-6: what blocks a handover until resolved or overridden by a supervisor
    block_on_emergency_orders: bool = True
    block_on_major_complaints: bool = True
    #: H-6: "important" work orders: these priorities, until completed
    block_order_priorities: list[str] = field(default_factory=lambda: ["emergency"])
    #: H-6: "important" complaints: these levels, until the customer is answered
    block_complaint_levels: list[str] = field(default_factory=lambda: ["major", "hot"])
    #: H-1: a shift may be opened this many minutes before its period starts
    early_open_minutes: int = 60


@dataclass
class SecurityConfig:
    lockout_attempts: int = 5
    lockout_minutes: int = 10
    idle_lock_minutes: int = 15
    #: operator allowed to export PII from cron without a PIN (empty: nobody)
    pii_export_operator: str = ""


@dataclass
class ArchiveConfig:
    """``shiftdesk export archive`` (A-7: customer files are kept; archives go offsite)."""

    #: where archives are written (empty: data/archives in a checkout, else the user data dir)
    out_dir: str = ""
    #: "tar.gz" or "zip"
    format: str = "tar.gz"
    #: gzip/deflate level 1-9, set explicitly (9 costs ~40% more time for <1% less size)
    compress_level: int = 6
    #: start each CSV with a byte-order mark so spreadsheet programs read UTF-8
    csv_bom: bool = False
    #: delete archives older than this many days from out_dir after an export (0: keep all)
    keep_days: int = 0


@dataclass
class EstateConfig:
    """Loading the estate from the site's roster (``shiftdesk estate import``, issue 18)."""

    #: how the site writes a unit code: "building-entrance-room" (3-2-1502) or
    #: "building-room" (A-1502, B1-1502); rows in another form are refused
    unit_pattern: str = "building-entrance-room"
    #: a roster header the built-in names do not know -> the column it is ("Room No." = "unit")
    columns: dict[str, str] = field(default_factory=dict)


@dataclass
class CustomersConfig:
    """Who may view, enter and change customer files, and who approves (A-4, A-6, §14)."""

    view_role: str = "operator"
    enter_role: str = "supervisor"
    change_role: str = "supervisor"
    #: A-6: the seeds disagree (CS manager / CS supervisor / 管理处主任); manager by default
    approver_role: str = "manager"


@dataclass
class UiConfig:
    theme: str = "textual-dark"
    light_theme: str = "textual-light"
    #: binding id -> keys, e.g. "calls.save" = "ctrl+s"
    keymap: dict[str, str] = field(default_factory=dict)


@dataclass
class Settings:
    locale: str = "en"
    site: SiteConfig = field(default_factory=SiteConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    shifts: ShiftConfig = field(default_factory=ShiftConfig)
    calls: CallsConfig = field(default_factory=CallsConfig)
    complaints: ComplaintsConfig = field(default_factory=ComplaintsConfig)
    workorders: WorkOrdersConfig = field(default_factory=WorkOrdersConfig)
    callbacks: CallbacksConfig = field(default_factory=CallbacksConfig)
    parcels: ParcelsConfig = field(default_factory=ParcelsConfig)
    notifications: NotificationsConfig = field(default_factory=NotificationsConfig)
    handover: HandoverConfig = field(default_factory=HandoverConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    archive: ArchiveConfig = field(default_factory=ArchiveConfig)
    estate: EstateConfig = field(default_factory=EstateConfig)
    customers: CustomersConfig = field(default_factory=CustomersConfig)
    ui: UiConfig = field(default_factory=UiConfig)
    #: where this configuration was read from (None: built-in defaults only)
    source: Path | None = field(default=None, compare=False)

    @property
    def db_url(self) -> str:
        return self.database.url or default_database_url()


# ---------------------------------------------------------------------------- locations


def checkout_root() -> Path | None:
    """The source checkout this package runs from, if any (it has data/ and pyproject)."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "data").is_dir():
        return root
    return None


def data_dir() -> Path:
    """data/ in a checkout, else the platform's user data directory."""
    root = checkout_root()
    if root is not None:
        return root / "data"
    from platformdirs import user_data_path

    return user_data_path(APP_NAME)


def default_config_path() -> Path:
    root = checkout_root()
    if root is not None:
        return root / "data" / "config.toml"
    from platformdirs import user_config_path

    return user_config_path(APP_NAME) / "config.toml"


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'shiftdesk.db'}"


def documented_config_text() -> str:
    """The commented default config shipped with the program (``config.example.toml`` in a
    checkout: an example to copy, never read as the config in use, #17 finding 18)."""
    root = checkout_root()
    if root is not None and (root / "config.example.toml").is_file():
        return (root / "config.example.toml").read_text(encoding="utf-8")
    from importlib.resources import files

    return files("shiftdesk").joinpath("default_config.toml").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- typing


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """Resolved annotations of a settings class (cached: resolving them is slow, and loading
    a config file asks once per key)."""
    return typing.get_type_hints(cls)


_TYPE_NAMES = {bool: "bool", int: "int", float: "float", str: "str"}


def _describe(tp: Any) -> str:
    """What a key expects, in the operator's language ("a whole number", "整数")."""
    origin = typing.get_origin(tp)
    if tp in _TYPE_NAMES:
        return t(f"reliability.config.type.{_TYPE_NAMES[tp]}")
    if origin is list:
        (inner,) = typing.get_args(tp)
        if inner in _TYPE_NAMES:
            return t(f"reliability.config.type.list_{_TYPE_NAMES[inner]}")
    if origin is dict:
        return t("reliability.config.type.dict")
    return str(tp)


def _expected(origin: str, key: str, expected: str, value: Any) -> ConfigError:
    """The one-line error naming the file (or variable), the key and what was expected."""
    return ConfigError(
        t(
            "reliability.config.expected",
            origin=origin,
            key=key,
            expected=expected,
            value=repr(value),
        )
    )


@contextmanager
def _messages_in(*candidates: Any) -> Iterator[None]:
    """Config errors in the site's language: the first valid locale among ``candidates``."""
    before = get_locale()
    for cand in candidates:
        if isinstance(cand, str) and cand in LOCALES:
            set_locale(cand)
            break
    try:
        yield
    finally:
        set_locale(before)


def _check(value: Any, tp: Any) -> Any:
    """Return ``value`` if it fits ``tp`` (ints accepted for floats), else raise TypeError."""
    origin = typing.get_origin(tp)
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif tp is str:
        if isinstance(value, str):
            return value
    elif origin is list:
        (inner,) = typing.get_args(tp)
        if isinstance(value, list):
            return [_check(v, inner) for v in value]
    elif origin is dict:
        if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            return dict(value)
    elif origin in (types.UnionType, typing.Union):
        for option in typing.get_args(tp):
            if option is type(None) and value is None:
                return None
            try:
                return _check(value, option)
            except TypeError:
                continue
    raise TypeError(_describe(tp))


def _coerce_text(text: str, tp: Any) -> Any:
    """Turn a string from the environment or ``config set`` into the key's type."""
    origin = typing.get_origin(tp)
    if tp is bool:
        low = text.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise TypeError(_describe(tp))
    if tp is int:
        try:
            return int(text)
        except ValueError as exc:
            raise TypeError(_describe(tp)) from exc
    if tp is float:
        try:
            return float(text)
        except ValueError as exc:
            raise TypeError(_describe(tp)) from exc
    if origin is list:
        (inner,) = typing.get_args(tp)
        parts = [p.strip() for p in text.split(",") if p.strip()]
        return [_coerce_text(p, inner) for p in parts]
    if origin is dict:
        try:
            parsed = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError as exc:
            raise TypeError(_describe(tp)) from exc
        return _check(parsed, tp)
    return text


# ---------------------------------------------------------------------------- keys


def _section_classes() -> dict[str, type]:
    hints = _hints(Settings)
    return {
        name: tp
        for name, tp in hints.items()
        if isinstance(tp, type) and dataclasses.is_dataclass(tp)
    }


def all_keys() -> list[str]:
    """Every dotted key the config understands, in file order."""
    keys = ["locale"]
    for section, cls in _section_classes().items():
        keys += [f"{section}.{f.name}" for f in dataclasses.fields(cls)]
    return keys


def _key_type(key: str) -> Any:
    parts = key.split(".")
    if parts == ["locale"]:
        return str
    sections = _section_classes()
    if len(parts) != 2 or parts[0] not in sections:
        raise ConfigError(t("reliability.config.unknown_config_key", key=key))
    hints = _hints(sections[parts[0]])
    if parts[1] not in hints:
        raise ConfigError(t("reliability.config.unknown_config_key", key=key))
    return hints[parts[1]]


def get_value(settings: Settings, key: str) -> Any:
    _key_type(key)
    obj: Any = settings
    for part in key.split("."):
        obj = getattr(obj, part)
    return obj


def _set_value(settings: Settings, key: str, value: Any, origin: str) -> None:
    tp = _key_type(key)
    try:
        checked = _check(value, tp)
    except TypeError as exc:
        raise _expected(origin, key, str(exc), value) from None
    parts = key.split(".")
    target: Any = settings
    for part in parts[:-1]:
        target = getattr(target, part)
    setattr(target, parts[-1], checked)


def _validate(settings: Settings, origin: str) -> None:
    if settings.locale not in LOCALES:
        raise _expected(
            origin,
            "locale",
            t("reliability.config.one_of", choices=", ".join(LOCALES)),
            settings.locale,
        )
    if settings.notifications.locale not in ("", *LOCALES):
        raise _expected(
            origin,
            "notifications.locale",
            t("reliability.config.empty_or_one_of", choices=", ".join(LOCALES)),
            settings.notifications.locale,
        )
    if settings.archive.format not in ("tar.gz", "zip"):
        raise _expected(
            origin,
            "archive.format",
            t("reliability.config.either", a='"tar.gz"', b='"zip"'),
            settings.archive.format,
        )
    if not 1 <= settings.archive.compress_level <= 9:
        raise _expected(
            origin,
            "archive.compress_level",
            t("reliability.config.int_range", low=1, high=9),
            settings.archive.compress_level,
        )
    if settings.archive.keep_days < 0:
        raise _expected(
            origin,
            "archive.keep_days",
            t("reliability.config.keep_days"),
            settings.archive.keep_days,
        )
    if settings.complaints.scheme not in ("A", "B"):
        raise _expected(
            origin,
            "complaints.scheme",
            t("reliability.config.either", a='"A"', b='"B"'),
            settings.complaints.scheme,
        )
    from shiftdesk.timeutil import parse_hhmm, zone

    try:
        zone(settings.site.timezone)
    except Exception:
        raise _expected(
            origin, "site.timezone", t("reliability.config.zone"), settings.site.timezone
        ) from None
    times = {
        "calls.night_start": settings.calls.night_start,
        "calls.night_end": settings.calls.night_end,
        "workorders.return_check_time": settings.workorders.return_check_time,
        "callbacks.lunch_start": settings.callbacks.lunch_start,
        "callbacks.lunch_end": settings.callbacks.lunch_end,
        "callbacks.day_start": settings.callbacks.day_start,
        "callbacks.latest": settings.callbacks.latest,
        "parcels.quiet_start": settings.parcels.quiet_start,
        "parcels.quiet_end": settings.parcels.quiet_end,
        "complaints.working_day_start": settings.complaints.working_day_start,
        "complaints.working_day_end": settings.complaints.working_day_end,
    }
    for name, period in settings.shifts.periods.items():
        bounds = period.split("-")
        if len(bounds) != 2:
            raise _expected(origin, f"shifts.periods.{name}", '"HH:MM-HH:MM"', period)
        times[f"shifts.periods.{name}"] = bounds[0]
        times[f"shifts.periods.{name} (end)"] = bounds[1]
    for key, text in times.items():
        try:
            parse_hhmm(text)
        except Exception:
            raise _expected(origin, key, t("reliability.config.hhmm"), text) from None
    if not settings.shifts.periods:
        raise ConfigError(t("reliability.config.no_periods", origin=origin))


# ---------------------------------------------------------------------------- loading


def read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(t("reliability.config.not_found", path=path)) from None
    except PermissionError:
        raise ConfigError(t("reliability.config.unreadable", path=path)) from None
    except IsADirectoryError:
        raise ConfigError(t("reliability.config.is_directory", path=path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(t("reliability.config.not_toml", path=path, detail=exc)) from None
    except UnicodeDecodeError:
        raise ConfigError(t("reliability.config.not_utf8", path=path)) from None
    except OSError as exc:  # an unreadable device, a file system error
        detail = exc.strerror
        raise ConfigError(t("reliability.config.os_error", path=path, detail=detail)) from None


def _apply_mapping(settings: Settings, data: dict[str, Any], origin: str) -> None:
    sections = _section_classes()
    for name, value in data.items():
        if name == "locale":
            _set_value(settings, "locale", value, origin)
        elif name in sections:
            if not isinstance(value, dict):
                raise _expected(origin, name, t("reliability.config.type.table"), value)
            for key, item in value.items():
                dotted = f"{name}.{key}"
                try:
                    _key_type(dotted)
                except ConfigError:
                    raise ConfigError(
                        t("reliability.config.unknown_key", origin=origin, key=dotted)
                    ) from None
                _set_value(settings, dotted, item, origin)
        else:
            raise ConfigError(t("reliability.config.unknown_key", origin=origin, key=name))


ENV_SHORTCUTS = {
    "SHIFTDESK_DB": "database.url",
    "SHIFTDESK_LOCALE": "locale",
    "SHIFTDESK_SITE": "site.code",
}


def _apply_env(settings: Settings, env: typing.Mapping[str, str]) -> None:
    for var, text in env.items():
        if not var.startswith("SHIFTDESK_"):
            continue
        if var in ENV_SHORTCUTS:
            key = ENV_SHORTCUTS[var]
        elif "__" in var:
            section, _, name = var.removeprefix("SHIFTDESK_").partition("__")
            key = f"{section.lower()}.{name.lower()}"
        else:
            continue
        try:
            tp = _key_type(key)
        except ConfigError:
            raise ConfigError(t("reliability.config.env_unknown", var=var, key=key)) from None
        try:
            value = _coerce_text(text, tp)
        except TypeError as exc:
            raise ConfigError(
                t(
                    "reliability.config.env_expected",
                    var=var,
                    key=key,
                    expected=exc,
                    value=repr(text),
                )
            ) from None
        _set_value(settings, key, value, f"environment {var}")


def load_settings(
    config_path: str | Path | None = None,
    *,
    db_url: str | None = None,
    locale: str | None = None,
    site: str | None = None,
    env: typing.Mapping[str, str] | None = None,
) -> Settings:
    """Resolve the settings: flags > environment > file > defaults.

    ``config_path`` is the ``--config`` flag; without it ``SHIFTDESK_CONFIG`` and then the
    default location are used. A missing file at the default location is not an error
    (defaults apply); a missing file that was asked for is.
    """
    env = os.environ if env is None else env
    settings = Settings()
    explicit = config_path or env.get("SHIFTDESK_CONFIG")
    path = Path(explicit).expanduser() if explicit else default_config_path()
    # errors speak the language asked for: --locale, SHIFTDESK_LOCALE, then the file's own
    with _messages_in(locale, env.get("SHIFTDESK_LOCALE")):
        data = read_file(path) if explicit or path.is_file() else None
    with _messages_in(locale, env.get("SHIFTDESK_LOCALE"), (data or {}).get("locale")):
        if data is not None:
            _apply_mapping(settings, data, str(path))
            settings.source = path
        _validate(settings, str(path))
        _apply_env(settings, env)
        _validate(settings, "environment")
        if locale and locale not in LOCALES:
            raise ConfigError(
                t("reliability.config.flag_locale", choices=", ".join(LOCALES), value=repr(locale))
            )
    if db_url:
        settings.database.url = db_url
    if locale:
        settings.locale = locale
    if site:
        settings.site.code = site
    return settings


def config_path_in_use(
    config_path: str | Path | None = None, env: typing.Mapping[str, str] | None = None
) -> Path:
    env = os.environ if env is None else env
    explicit = config_path or env.get("SHIFTDESK_CONFIG")
    return Path(explicit).expanduser() if explicit else default_config_path()


def write_atomically(path: Path, text: str) -> None:
    """Write via a temp file in the same folder and ``os.replace``: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def set_in_file(path: Path, key: str, text: str) -> Any:
    """``config set``: validate the value against the key's type and write the file."""
    import tomli_w

    tp = _key_type(key)
    try:
        value = _coerce_text(text, tp)
    except TypeError as exc:
        raise _expected(str(path), key, str(exc), text) from None
    data = read_file(path) if path.is_file() else {}
    probe = Settings()
    _apply_mapping(probe, data, str(path))
    _set_value(probe, key, value, str(path))
    _validate(probe, str(path))
    parts = key.split(".")
    if len(parts) == 1:
        data[parts[0]] = value
    else:
        data.setdefault(parts[0], {})[parts[1]] = value
    write_atomically(path, tomli_w.dumps(data))
    return value


def as_dict(settings: Settings) -> dict[str, Any]:
    data = dataclasses.asdict(settings)
    data.pop("source", None)
    return data


def write_default_config(path: Path) -> bool:
    """Write the documented config.toml at ``path`` unless a file is there; True if written."""
    if path.exists():
        return False
    write_atomically(path, documented_config_text())
    return True
