"""Incoming-call form (F2) (its own issue builds it)."""

from screens.base import PlaceholderScreen


class CallsScreen(PlaceholderScreen):
    TITLE_KEY = "mode.calls"
