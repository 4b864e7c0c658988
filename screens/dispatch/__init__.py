"""Dispatch (F3): the screen (``screen.py``: bindings, filter, actions), the board widget
(``board.py``: ``OrderList``, drawn from the live feed's rows) and the dialogs."""

from screens.dispatch.screen import DispatchScreen

__all__ = ["DispatchScreen"]
