"""Parcel check-in (F4) (its own issue builds it)."""

from screens.base import PlaceholderScreen


class ParcelsScreen(PlaceholderScreen):
    TITLE_KEY = "mode.parcels"
