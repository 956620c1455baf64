"""Text colours for the settings dialog's messages (style sheets for a QLabel)."""

from __future__ import annotations

ERROR = "color: #b00020;"
WARN = "color: #a15c00;"
OK = "color: #1b5e20;"
