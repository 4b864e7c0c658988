"""Typed access to the app from any screen, dialog or widget.

``node.app`` is typed as a plain ``App``; every shiftdesk screen runs inside a
``ShiftdeskApp``, so this is the one cast (as posting's ``cast("Posting", self.app)``).
The import is for the type checker only: ``screens.app`` imports the screens, not back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.message_pump import MessagePump

if TYPE_CHECKING:
    from screens.app import ShiftdeskApp


def shiftdesk_of(node: MessagePump) -> ShiftdeskApp:
    """The running ``ShiftdeskApp`` of ``node``."""
    return cast("ShiftdeskApp", node.app)


class AppAccess:
    """Mixin for screens and widgets: ``self.shiftdesk`` is the typed app."""

    @property
    def shiftdesk(self) -> ShiftdeskApp:
        assert isinstance(self, MessagePump)
        return shiftdesk_of(self)
