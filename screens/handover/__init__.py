"""Handover (F1): the screen (``screen.py``: tabs, bindings, loading, the log's actions),
its tables (``tables.py``), the sign-off actions (``signoff.py``), the data it loads in
one read (``view.py``) and its dialogs (``dialogs.py``)."""

from screens.handover.screen import HandoverScreen

__all__ = ["HandoverScreen"]
