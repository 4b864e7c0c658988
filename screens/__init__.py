"""The Textual UI layer. Imports ``shiftdesk``; ``shiftdesk`` never imports this package."""
