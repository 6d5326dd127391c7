"""The tables of the review workspace's accounts and login sessions (SPEC §9).

Kept apart from :mod:`xeploai.scoring.accounts` (which hashes passwords and opens sessions)
so that :mod:`xeploai.scoring.storage` can import them and :func:`open_db` creates them with
every other table, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel


class UserRecord(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    role: str
    unit_id: str | None = None  # the one unit an ``hr`` account sees
    password_hash: str
    active: bool = True
    created_at: dt.datetime


class SessionRecord(SQLModel, table=True):
    __tablename__ = "web_sessions"

    token_hash: str = Field(primary_key=True)  # SHA-256 of the cookie's token
    user_id: int = Field(foreign_key="users.id", index=True)
    csrf_token: str
    created_at: dt.datetime
    expires_at: dt.datetime


class LoginFailureRecord(SQLModel, table=True):
    """Failed logins in a row on one account name (known or not)."""

    __tablename__ = "login_failures"

    username: str = Field(primary_key=True)
    failures: int
    blocked_until: dt.datetime


class SecretRecord(SQLModel, table=True):
    """The key that signs session cookies: made once, shared by every server process."""

    __tablename__ = "web_secret"

    id: int = Field(default=1, primary_key=True)
    value: str


ACCOUNT_TABLES = [UserRecord.__table__, SessionRecord.__table__,  # type: ignore[attr-defined]
                  LoginFailureRecord.__table__, SecretRecord.__table__]  # type: ignore[attr-defined]
