"""KeyChoice: pick one of a few values with a single key, never the mouse.

``KeyChoice(options, value=None, advance=True, id=...)`` where ``options`` is a list of
``(value, key, label)``: ``("walk_in", "w", "Walk-in")``. The options are shown on one line
(wrapping if narrow) with each key marked; the chosen one is highlighted. When focused:

- the option's key chooses it (and with ``advance`` moves the focus to the next field, so a
  form can be filled as fast as the keys are pressed);
- ``Left`` / ``Right`` move the choice without leaving the field; ``Tab`` leaves it as is.

Posts ``KeyChoice.Changed(choice, value)`` (``control`` is the KeyChoice) when the value
changes, and also when the same key is pressed again (``changed=False``), so a form can react
to "confirmed". ``value`` may be None until something is chosen (``allow_none``).
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class KeyChoice(Widget, can_focus=True):
    DEFAULT_CSS = """
    KeyChoice {
        height: auto;
        width: 1fr;
        padding: 0 1;
        background: $boost;
    }
    KeyChoice:focus {
        background: $primary 25%;
    }
    KeyChoice.-invalid {
        background: $error 25%;
    }
    """

    BINDINGS = [
        Binding("left", "step(-1)", show=False),
        Binding("right", "step(1)", show=False),
    ]

    value: reactive[str | None] = reactive(None, layout=True)

    class Changed(Message):
        def __init__(self, choice: KeyChoice, value: str | None, changed: bool) -> None:
            super().__init__()
            self.choice = choice
            self.value = value
            self.changed = changed

        @property
        def control(self) -> KeyChoice:
            return self.choice

    def __init__(
        self,
        options: list[tuple[str, str, str]],
        *,
        value: str | None = None,
        advance: bool = True,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.options = options
        self.advance = advance
        self.set_reactive(KeyChoice.value, value if value is not None else None)
        for option_value, key, _label in options:
            self._bindings.bind(key, f"pick({option_value!r})", show=False)

    @property
    def values(self) -> list[str]:
        return [v for v, _k, _l in self.options]

    def label_of(self, value: str | None) -> str:
        for v, _k, label in self.options:
            if v == value:
                return label
        return ""

    def render(self) -> Text:
        text = Text(overflow="fold")
        for index, (value, key, label) in enumerate(self.options):
            if index:
                text.append(" ")
            chosen = value == self.value
            base = "reverse bold" if chosen else ""
            if label[:1].lower() == key.lower():
                text.append(label[:1], style=f"{base} underline bold".strip())
                text.append(label[1:], style=base)
            else:
                text.append(key, style=f"{base} underline bold".strip())
                text.append(label, style=base)
        return text

    def action_pick(self, value: str) -> None:
        changed = value != self.value
        self.value = value
        self.post_message(self.Changed(self, value, changed))
        if self.advance:
            self.screen.focus_next()

    def action_step(self, step: int) -> None:
        values = self.values
        if not values:
            return
        index = values.index(self.value) if self.value in values else -1
        self.value = values[(index + step) % len(values)]
        self.post_message(self.Changed(self, self.value, True))

    def set_value(self, value: str | None) -> None:
        """Set from code (no message, no focus move)."""
        self.value = value if value in self.values else None
