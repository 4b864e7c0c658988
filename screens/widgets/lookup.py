"""ResidentLookup: find a resident or a unit as you type, by keyboard alone.

Used by the call form (F2) for the caller and by the parcel screen (F4) for recipients.

API
---
``ResidentLookup(placeholder=None, limit=8, site_id=None, compact=False, id=None, classes=None)``
(``compact``: a one-line input without borders, for dense forms)

- Type in the input: a unit prefix (``3-2-15``), a Chinese name (``张伟``), full pinyin or
  initials (``zhangw``, ``zw``) or phone digits with any separators (``+86 138-0013``).
  Results appear in a list that floats under the input (an overlay: it does not push the
  layout, so it fits an 80x24 form).
- ``Down`` / ``Up`` move the highlight while the cursor stays in the input; ``Enter``
  chooses the highlighted line (the first one unless moved). ``Enter`` pressed before the
  results arrive chooses the first result when they do. ``Esc`` closes an open list (and is
  otherwise left to the screen, e.g. for "discard this form?"). With no result list open,
  ``Enter`` / ``Up`` / ``Down`` / ``Esc`` are not consumed (the form can use them).
- Choosing posts ``ResidentLookup.Chosen(lookup, hit)`` with a ``shiftdesk.lookup.LookupHit``
  (``hit.resident_id`` is None for a unit-only line). The input then shows the choice.
- Editing the text after a choice posts ``ResidentLookup.Cleared(lookup)``; so does
  ``clear()``. Both messages have ``control`` set, so ``@on(ResidentLookup.Chosen, "#id")``
  works.
- The inner input's ``Input.Changed`` (input id ``lookup-input``) bubbles as usual, so a
  form can tell that the operator is typing.
- Properties and methods: ``chosen`` (the LookupHit or None), ``text`` (what is typed),
  ``clear()``, ``choose(hit)`` (set a choice from code, e.g. caller ID), ``focus()``
  (focuses the input), ``searching`` (a query is in flight; tests wait on the workers).

Database work runs through ``app.run_db`` (a thread worker, never on the UI thread); the
site is ``site_id`` if given, else ``app.site``, else the configured site code. Each search
is an exclusive worker of this lookup's group: a later keystroke cancels it (its results
are dropped), and results that arrive after a choice, or for text no longer typed, are too.
"""

from __future__ import annotations

from rich.text import Text
from sqlmodel import Session
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from screens.access import shiftdesk_of
from screens.errors import error_text
from screens.i18n import TranslatedBindings
from shiftdesk.i18n import t
from shiftdesk.lookup import LookupHit, format_phone, lookup


class ResidentLookup(TranslatedBindings, Widget):
    """An input with a floating result list; see the module docstring for the API."""

    DEFAULT_CSS = """
    ResidentLookup {
        height: auto;
        width: 1fr;
    }
    ResidentLookup > Input {
        width: 1fr;
    }
    ResidentLookup > OptionList {
        display: none;
        overlay: screen;
        constrain: none inside;
        width: 1fr;
        height: auto;
        max-height: 10;
        border: tall $border-blurred;
        background: $surface;
        padding: 0;
    }
    ResidentLookup.-open > OptionList {
        display: block;
    }
    ResidentLookup > OptionList > .option-list--option {
        padding: 0 1;
    }
    """

    BINDINGS = [
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("escape", "close", show=False),
    ]

    class Chosen(Message):
        """A resident or unit was chosen."""

        def __init__(self, lookup: ResidentLookup, hit: LookupHit) -> None:
            super().__init__()
            self.lookup = lookup
            self.hit = hit

        @property
        def control(self) -> ResidentLookup:
            return self.lookup

    class Cleared(Message):
        """The previous choice no longer holds (the text was edited or cleared)."""

        def __init__(self, lookup: ResidentLookup) -> None:
            super().__init__()
            self.lookup = lookup

        @property
        def control(self) -> ResidentLookup:
            return self.lookup

    def __init__(
        self,
        *,
        placeholder: str | None = None,
        limit: int = 8,
        site_id: int | None = None,
        compact: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.placeholder = placeholder if placeholder is not None else t("lookup.placeholder")
        self.limit = limit
        self.site_id = site_id
        self._compact = compact
        self.chosen: LookupHit | None = None
        self._hits: list[LookupHit] = []
        self._enter_pending = False

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder=self.placeholder, id="lookup-input", max_length=60, compact=self._compact
        )
        results = OptionList(id="lookup-results")
        results.can_focus = False
        yield results

    # ------------------------------------------------------------------ public API

    @property
    def input(self) -> Input:
        return self.query_one("#lookup-input", Input)

    @property
    def text(self) -> str:
        return self.input.value

    @property
    def _group(self) -> str:
        """This lookup's worker group (a newer search cancels the one before)."""
        return f"lookup-{id(self)}"

    @property
    def searching(self) -> bool:
        return any(w.group == self._group and not w.is_finished for w in self.app.workers)

    def focus(self, scroll_visible: bool = True) -> ResidentLookup:
        self.input.focus(scroll_visible)
        return self

    def clear(self) -> None:
        had_choice = self.chosen is not None
        self.chosen = None
        self._enter_pending = False
        self._show([])
        if self.input.value:
            with self.input.prevent(Input.Changed):
                self.input.value = ""
        if had_choice:
            self.post_message(self.Cleared(self))

    def choose(self, hit: LookupHit) -> None:
        self.chosen = hit
        self._enter_pending = False
        self._show([])
        label = hit.label() if hit.resident_id is not None else hit.unit_code
        with self.input.prevent(Input.Changed):
            self.input.value = label
        self.input.cursor_position = len(label)
        self.post_message(self.Chosen(self, hit))

    # ------------------------------------------------------------------ searching

    @on(Input.Changed, "#lookup-input")
    def _changed(self, event: Input.Changed) -> None:
        if self.chosen is not None:
            self.chosen = None
            self.post_message(self.Cleared(self))
        self._search(event.value)

    def _search(self, text: str) -> None:
        self._enter_pending = False
        if not text.strip():
            self._show([])
            return
        app = shiftdesk_of(self)
        site_id = self.site_id
        code = app.settings.site.code
        site = app.site
        limit = self.limit

        def fn(session: Session) -> list[LookupHit]:
            sid = site_id or (site.id if site is not None else None)
            if sid is None:
                from shiftdesk.sites import get_site

                sid = get_site(session, code).id
            assert sid is not None
            return lookup(session, sid, text, limit=limit)

        def done(hits: list[LookupHit]) -> None:
            if self.chosen is not None or self.text != text:
                return  # chosen or typed past meanwhile: these hits answer nothing now
            self._show(hits)
            if self._enter_pending and hits:
                self._enter_pending = False
                self.choose(hits[0])

        def failed(exc: Exception) -> None:
            app.notify(error_text(exc), severity="error")

        app.run_db(fn, done, error=failed, group=self._group, exclusive=True)

    def _show(self, hits: list[LookupHit]) -> None:
        self._hits = hits
        results = self.query_one("#lookup-results", OptionList)
        results.clear_options()
        if hits:
            results.add_options(Option(self._prompt(h), id=str(i)) for i, h in enumerate(hits))
            results.highlighted = 0
        self.set_class(bool(hits), "-open")

    @staticmethod
    def _prompt(hit: LookupHit) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{hit.unit_code:<10}", style="bold")
        if hit.resident_id is None:
            text.append(" " + t("lookup.unit_only"), style="dim")
            return text
        text.append(" " + hit.name)
        if hit.phone:
            text.append("  " + format_phone(hit.phone), style="dim")
        if hit.kind:
            text.append("  " + t(f"lookup.kind.{hit.kind}"), style="dim italic")
        return text

    # ------------------------------------------------------------------ keys

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def action_move(self, step: int) -> None:
        if not self.is_open:
            raise SkipAction()
        results = self.query_one("#lookup-results", OptionList)
        if step > 0:
            results.action_cursor_down()
        else:
            results.action_cursor_up()

    def action_close(self) -> None:
        if not self.is_open:
            raise SkipAction()
        self._show([])

    @on(Input.Submitted, "#lookup-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if self.is_open and self._hits:
            event.stop()
            index = self.query_one("#lookup-results", OptionList).highlighted or 0
            self.choose(self._hits[index])
        elif self.searching and self.chosen is None and event.value.strip():
            event.stop()
            self._enter_pending = True

    @on(OptionList.OptionSelected, "#lookup-results")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.choose(self._hits[event.option_index])
        self.input.focus()

    def on_descendant_blur(self) -> None:
        if not self.input.has_focus:
            self._show([])
