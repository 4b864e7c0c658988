"""The board's short dialogs: one per action that needs input, plus the clocks view and filters.

An action dialog saves by itself and closes only once the write is on disk. If the save
fails, the dialog stays open with everything typed; on a conflict (another terminal changed
the order first) it says so, takes the order's new version, and a second Save applies the
operator's input deliberately on top of the other change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from rich.text import Text
from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Select, Static

from screens.dialogs import FormDialog
from shiftdesk.clocks import Clock, ClockState
from shiftdesk.errors import ConflictError, ShiftdeskError, ValidationError
from shiftdesk.i18n import t
from shiftdesk.timeutil import to_local, utcnow
from shiftdesk.workorders import OUTCOMES, BoardRow, BreachKey, get_order

V = TypeVar("V")


class ActionDialog(FormDialog[Any], Generic[V]):
    """Title, fields, an error line and Save/Cancel. ``save(session, value, version)``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "common.cancel", id="dispatch.dialog.cancel"),
        Binding("ctrl+s", "save", "dispatch.binding.save", id="dispatch.dialog.save"),
    ]

    def __init__(
        self,
        title: str,
        order: BoardRow,
        save: Callable[[Session, V, int], Any],
    ) -> None:
        super().__init__()
        self.title_text = title
        self.order = order
        self.version = order.version
        self.save = save
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield from self.compose_fields()
            yield Static("", id="error", classes="dialog-error")
            with Horizontal(classes="buttons"):
                yield Button(t("dispatch.dialog.save"), id="save", variant="primary")
                yield Button(t("common.cancel"), id="cancel")

    def compose_fields(self) -> ComposeResult:
        yield from ()

    def value(self) -> V | None:
        """The typed input, or None after showing what is missing."""
        raise NotImplementedError

    def show_error(self, message: str) -> None:
        self.query_one("#error", Static).update(Text(message))

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def action_save(self) -> None:
        if self.saving:
            return
        value = self.value()
        if value is None:
            return
        self.saving = True
        self.show_error(t("dispatch.dialog.saving"))
        version = self.version
        self.shiftdesk.run_db(
            lambda s: self.save(s, value, version),
            self._saved,
            write=True,
            error=self._failed,
        )

    def _saved(self, result: Any) -> None:
        self.saving = False
        self.dismiss(result)

    def _failed(self, exc: Exception) -> None:
        self.saving = False
        message = exc.message if isinstance(exc, ShiftdeskError) else str(exc).splitlines()[0]
        self.show_error(message)
        if isinstance(exc, ValidationError) and exc.field:
            for widget in self.query(f"#{exc.field}"):
                widget.focus()
        if isinstance(exc, ConflictError):
            # take the other terminal's version: a second Save applies this input on top
            self.shiftdesk.run_db(lambda s: get_order(s, self.order.id).version, self._reloaded)

    def _reloaded(self, version: int) -> None:
        self.version = version

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


# ---------------------------------------------------------------------------- the actions


@dataclass
class DispatchInput:
    team: str
    assignee: str
    note: str


class DispatchDialog(ActionDialog[DispatchInput]):
    def __init__(
        self,
        title: str,
        order: BoardRow,
        save: Callable[[Session, DispatchInput, int], Any],
        *,
        teams: list[str],
        team: str,
    ) -> None:
        super().__init__(title, order, save)
        self.teams = teams
        self.default_team = team

    def compose_fields(self) -> ComposeResult:
        yield Label(t("dispatch.field.team"))
        yield Select(
            [(t(f"dispatch.team.{x}") if _has(f"dispatch.team.{x}") else x, x) for x in self.teams],
            value=self.default_team if self.default_team in self.teams else Select.NULL,
            allow_blank=False,
            id="team",
        )
        yield Label(t("dispatch.field.assignee"))
        yield Input(value=self.order.assignee, max_length=40, id="assignee")
        yield Label(t("dispatch.field.note"))
        yield Input(max_length=500, id="note")

    def on_mount(self) -> None:
        self.query_one("#assignee", Input).focus()

    def value(self) -> DispatchInput | None:
        team = self.query_one("#team", Select).value
        if not isinstance(team, str):
            self.show_error(t("dispatch.dialog.team_required"))
            return None
        return DispatchInput(
            team=team,
            assignee=self.query_one("#assignee", Input).value.strip(),
            note=self.query_one("#note", Input).value.strip(),
        )


class TextDialog(ActionDialog[str]):
    """One required line of text: the result, the reason."""

    def __init__(
        self,
        title: str,
        order: BoardRow,
        save: Callable[[Session, str, int], Any],
        *,
        label: str,
        field: str = "text",
        value: str = "",
    ) -> None:
        super().__init__(title, order, save)
        self.label = label
        self.field = field
        self.initial = value

    def compose_fields(self) -> ComposeResult:
        yield Static(_order_line(self.order), markup=False)
        yield Label(self.label)
        yield Input(value=self.initial, max_length=1000, id=self.field)

    def on_mount(self) -> None:
        self.query_one(f"#{self.field}", Input).focus()

    def value(self) -> str | None:
        text = self.query_one(f"#{self.field}", Input).value.strip()
        if not text:
            self.show_error(t("dispatch.dialog.text_required"))
            return None
        return text


@dataclass
class CallbackInput:
    outcome: str
    note: str


class CallbackDialog(ActionDialog[CallbackInput]):
    def compose_fields(self) -> ComposeResult:
        yield Static(_order_line(self.order), markup=False)
        yield Label(t("dispatch.field.outcome"))
        with RadioSet(id="outcome"):
            for i, outcome in enumerate(OUTCOMES):
                yield RadioButton(t(f"dispatch.outcome.{outcome}"), value=i == 0, id=f"o-{outcome}")
        yield Label(t("dispatch.field.note"))
        yield Input(max_length=500, id="note")

    def on_mount(self) -> None:
        self.query_one("#outcome", RadioSet).focus()

    def value(self) -> CallbackInput | None:
        pressed = self.query_one("#outcome", RadioSet).pressed_button
        if pressed is None or not pressed.id:
            self.show_error(t("dispatch.dialog.outcome_required"))
            return None
        return CallbackInput(
            outcome=pressed.id.removeprefix("o-"),
            note=self.query_one("#note", Input).value.strip(),
        )


# ---------------------------------------------------------------------------- read-only


def _has(key: str) -> bool:
    from shiftdesk.i18n import has

    return has(key)


def _order_line(order: BoardRow) -> str:
    return f"#{order.id}  {order.where}  {order.summary[:80]}"


class ClocksDialog(FormDialog[None]):
    """All clocks of one order, with when each started, is due and was done."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "dispatch.binding.close", id="dispatch.clocks.close"),
        Binding("enter", "close", show=False),
    ]

    def __init__(
        self,
        order: BoardRow,
        clocks: list[Clock],
        *,
        tz: str,
        warn_seconds: int,
        acked: dict[BreachKey, tuple[str, datetime]],
        labels: Callable[[str, str], str],
    ) -> None:
        super().__init__()
        self.order = order
        self.clocks = clocks
        self.tz = tz
        self.warn_seconds = warn_seconds
        self.acked = acked
        self.labels = labels

    def compose(self) -> ComposeResult:
        from datetime import timedelta

        from screens.dispatch.board import board_countdown
        from shiftdesk.workorders import breach_key

        o = self.order
        now = utcnow()

        def hm(value: datetime | None) -> str:
            return to_local(value, self.tz).strftime("%m-%d %H:%M:%S") if value else "—"

        lines = [
            f"#{o.id}  {o.where}  {self.labels('trade', o.trade)} · "
            f"{self.labels('priority', o.priority)} · {self.labels('stage', o.stage)}",
            o.summary,
        ]
        who = " ".join(x for x in (o.reporter_name, o.reporter_phone) if x)
        if who:
            lines.append(f"{t('dispatch.field.reporter')}: {who}")
        if o.team:
            lines.append(f"{t('dispatch.field.team')}: {self.labels('team', o.team)} {o.assignee}")
        flags = [
            t(key)
            for key, on_ in (
                ("dispatch.flag.night", o.night),
                ("dispatch.flag.paid", o.paid),
                ("dispatch.flag.leak", o.leak),
            )
            if on_
        ]
        if o.rework_of_id:
            flags.append(t("dispatch.flag.rework", id=o.rework_of_id))
        if o.unfinished_reason:
            flags.append(f"{t('dispatch.stage.unfinished')}: {o.unfinished_reason}")
        if flags:
            lines.append(" · ".join(flags))
        table = [
            "  ".join(
                (
                    f"{t('dispatch.clocks.clock'):<10}",
                    f"{t('dispatch.clocks.rule'):<5}",
                    f"{t('dispatch.clocks.start'):<14}",
                    f"{t('dispatch.clocks.due'):<14}",
                    f"{t('dispatch.clocks.done'):<14}",
                    t("dispatch.clocks.state"),
                )
            )
        ]
        warn = timedelta(seconds=self.warn_seconds)
        acks: list[str] = []
        for c in self.clocks:
            state = c.state(now, warn)
            extra = ""
            if state in (ClockState.RUNNING, ClockState.WARNING, ClockState.BREACHED):
                extra = " " + board_countdown(c.remaining(now))
            ack = self.acked.get(breach_key(o.id, c.kind, c.due_at))
            if ack:
                acks.append(
                    f"{self.labels('clock', c.kind)}: "
                    + t("dispatch.clocks.acked", who=ack[0], at=hm(ack[1]))
                )
            table.append(
                "  ".join(
                    (
                        f"{self.labels('clock', c.kind):<10}",
                        f"{c.rule:<5}",
                        f"{hm(c.started_at):<14}",
                        f"{hm(c.due_at):<14}",
                        f"{hm(c.done_at):<14}",
                        t(f"dispatch.state.{state.value}") + extra,
                    )
                )
            )
        with Vertical():
            yield Static(t("dispatch.clocks.title", id=o.id), classes="dialog-title")
            yield Static("\n".join(lines), markup=False)
            yield Static("\n".join(table + acks), id="clocks", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(t("common.ok"), id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    @on(Button.Pressed, "#ok")
    def action_close(self) -> None:
        self.dismiss(None)


@dataclass
class BoardFilter:
    stage: str | None = None
    trade: str | None = None
    assignee: str | None = None
    breached_only: bool = False

    def active(self) -> bool:
        return bool(self.stage or self.trade or self.assignee or self.breached_only)


class FilterDialog(FormDialog[BoardFilter | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "common.cancel", id="dispatch.filter.cancel"),
    ]

    def __init__(
        self,
        current: BoardFilter,
        *,
        stages: list[tuple[str, str]],
        trades: list[tuple[str, str]],
        assignees: list[str],
    ) -> None:
        super().__init__()
        self.current = current
        self.stages = stages
        self.trades = trades
        self.assignees = assignees

    def compose(self) -> ComposeResult:
        c = self.current
        with Vertical():
            yield Static(t("dispatch.filter.title"), classes="dialog-title")
            yield Label(t("dispatch.col.stage"))
            yield Select(
                self.stages,
                value=c.stage or Select.NULL,
                id="stage",
                compact=True,
                prompt=t("dispatch.filter.any"),
            )
            yield Label(t("dispatch.col.trade"))
            yield Select(
                self.trades,
                value=c.trade or Select.NULL,
                id="trade",
                compact=True,
                prompt=t("dispatch.filter.any"),
            )
            yield Label(t("dispatch.col.assignee"))
            yield Select(
                [(a, a) for a in self.assignees],
                value=c.assignee or Select.NULL,
                id="assignee",
                compact=True,
                prompt=t("dispatch.filter.any"),
            )
            yield Checkbox(t("dispatch.filter.breached"), c.breached_only, id="breached")
            with Horizontal(classes="buttons"):
                yield Button(t("dispatch.filter.apply"), id="apply", variant="primary")
                yield Button(t("dispatch.filter.clear"), id="clear")

    def on_mount(self) -> None:
        self.query_one("#stage", Select).focus()

    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        def val(name: str) -> str | None:
            v = self.query_one(f"#{name}", Select).value
            return v if isinstance(v, str) else None

        self.dismiss(
            BoardFilter(
                stage=val("stage"),
                trade=val("trade"),
                assignee=val("assignee"),
                breached_only=self.query_one("#breached", Checkbox).value,
            )
        )

    @on(Button.Pressed, "#clear")
    def _clear(self) -> None:
        self.dismiss(BoardFilter())

    def action_cancel(self) -> None:
        self.dismiss(None)
