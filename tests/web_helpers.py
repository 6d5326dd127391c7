"""Shared set-up of the workspace tests: accounts on a stored sample run, and logging in
through the real login form (its CSRF token read from the page)."""

from __future__ import annotations

import re

from sqlalchemy import Engine
from xeploai.scoring.accounts import add_user

PASSWORD = "mat-khau-thu-nghiem"
# name -> (role, unit)
ACCOUNTS: dict[str, tuple[str, str | None]] = {
    "hoidong": ("council", None),
    "kiemtra": ("auditor", None),
    "quantri": ("admin", None),
    "tochuc_stp": ("hr", "STP"),
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_accounts(engine: Engine) -> None:
    for name, (role, unit) in ACCOUNTS.items():
        add_user(engine, name, role, PASSWORD, unit)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no csrf_token field in the page"
    return found.group(1)


def log_in(client, name: str, password: str = PASSWORD):
    """Open /login, post the form with its token; returns the final response."""
    page = client.get("/login")
    return client.post("/login", data={"username": name, "password": password,
                                       "csrf_token": csrf_of(page.text), "next": "/runs"})
