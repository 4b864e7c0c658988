"""``FormDialog[T]``: the one base of shiftdesk's dialog boxes.

A centred, bordered box over the screen: a title, rows of label + input, an error line and
buttons; it returns a ``T`` with ``dismiss`` (None when cancelled). Its look is
``screens/dialogs.tcss`` (the box) plus the family's ``screens/<mode>/dialogs.tcss``
(handover, parcels and dispatch lay their rows out differently), loaded by the app.
``self.shiftdesk`` is the typed app, for ``run_db``.
"""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

from screens.access import AppAccess
from screens.i18n import TranslatedBindings

T = TypeVar("T")


class FormDialog(AppAccess, TranslatedBindings, ModalScreen[T]):
    """Esc cancels (``None``); subclasses compose the box and dismiss with their result."""

    def action_cancel(self) -> None:
        self.dismiss(None)
