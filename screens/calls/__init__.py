"""Calls (F2): the screen (``screen.py``: bindings, today's list), built up from the layout
(``layout.py``), the form while typing (``form.py``) and saving (``saving.py``); the form's
choices (``choices.py``) and the call's detail dialog (``detail.py``)."""

from screens.calls.screen import CallsScreen

__all__ = ["CallsScreen"]
