"""The review workspace in the browser (``xeploai serve``, SPEC §9)."""
