"""Dispatch board (F3) (its own issue builds it)."""

from screens.base import PlaceholderScreen


class DispatchScreen(PlaceholderScreen):
    TITLE_KEY = "mode.dispatch"
