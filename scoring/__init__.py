"""xeploai: annual classification of Vietnamese civil servants and their commendation titles."""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("xeploai")

__all__ = ["__version__", "hookimpl"]
