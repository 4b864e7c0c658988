"""Parcels (F4): the screen (``screen.py``) and its three panes, one module each:
``checkin.py`` (CheckInPane), ``pickup.py`` (PickupPane), ``overdue.py`` (OverduePane);
their dialogs in ``dialogs.py`` and what the panes share in ``common.py``."""

from screens.parcels.screen import ParcelsScreen

__all__ = ["ParcelsScreen"]
