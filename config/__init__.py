"""The policy files xeploai ships, one per regime, read through importlib.resources.

This file only makes ``config/`` the package ``xeploai.config`` so that an installed wheel
carries the ``.toml`` files beside it."""
