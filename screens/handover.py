"""Handover log (F1): the shift's duty log and handover (its own issue builds it)."""

from screens.base import PlaceholderScreen


class HandoverScreen(PlaceholderScreen):
    TITLE_KEY = "mode.handover"
