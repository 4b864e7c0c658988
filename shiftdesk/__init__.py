"""shiftdesk: the front-desk and control-room desk for property management.

The core package: models, storage, rules, services, config, i18n and the CLI. It never
imports Textual; the UI lives in the ``screens`` package, which imports this one.
"""

__version__ = "0.1.0"
