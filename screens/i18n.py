"""Translated key bindings: BINDINGS hold catalog keys; each instance shows them translated.

Descriptions are looked up when a screen is created, so the Footer speaks the locale in
force, and binding ids stay stable for the keymap in config.toml.
"""

from __future__ import annotations

import dataclasses

from textual.dom import DOMNode

from shiftdesk.i18n import t


def translate_bindings(node: DOMNode) -> None:
    """Replace each binding's description/tooltip (catalog keys) with its translation."""
    mapping = node._bindings.key_to_bindings
    for key, bindings in mapping.items():
        mapping[key] = [
            dataclasses.replace(
                b,
                description=t(b.description) if b.description else "",
                tooltip=t(b.tooltip) if b.tooltip else "",
            )
            for b in bindings
        ]


class TranslatedBindings:
    """Mixin for App/Screen/Widget subclasses whose BINDINGS use catalog keys."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)  # type: ignore[arg-type]
