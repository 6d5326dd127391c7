"""Accounts, roles and login sessions of the review workspace (SPEC §9).

Users and sessions live in the run database, in tables that :func:`open_db`'s schema
creation makes (they are new tables, not changes to existing ones: decision 65). Passwords
are hashed with Argon2id (argon2-cffi, memory-hard). A session is a random token: the
browser holds it in a signed cookie, the database only its SHA-256, so a copy of the
database does not let anyone in. Repeated failed logins on one account name are slowed:
after :data:`FREE_FAILURES` failures in a row, each further failure closes the name for
twice as long as the previous one (up to :data:`MAX_BLOCK`), whatever the password.

Roles: ``hr`` sees one unit only; ``council`` sees everything and records decisions and
sign-offs; ``auditor`` reads everything and changes nothing; ``admin`` manages accounts
(and reads everything, like an auditor).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from .account_tables import (
    LoginFailureRecord,
    SecretRecord,
    SessionRecord,
    UserRecord,
)
from .errors import XeploaiError

FREE_FAILURES = 3  # failed logins in a row before the name is closed for a while
FIRST_BLOCK = dt.timedelta(seconds=2)
MAX_BLOCK = dt.timedelta(minutes=15)
SESSION_LIFETIME = dt.timedelta(hours=12)  # a working day; then log in again
MIN_PASSWORD = 10
MAX_NAME = 64

_hasher = PasswordHasher()  # Argon2id with the library's current defaults (64 MiB, t=3)


@functools.cache
def _dummy_hash() -> str:
    """Verified when the name is unknown, so that a wrong name costs the same time as a
    wrong password (no probing which accounts exist)."""
    return _hasher.hash(secrets.token_urlsafe(16))


class Role(StrEnum):
    HR = "hr"
    COUNCIL = "council"
    AUDITOR = "auditor"
    ADMIN = "admin"


ROLE_LABELS_VI: dict[Role, str] = {
    Role.HR: "Cán bộ tổ chức (một đơn vị)",
    Role.COUNCIL: "Thành viên Hội đồng",
    Role.AUDITOR: "Kiểm tra, thanh tra (chỉ xem)",
    Role.ADMIN: "Quản trị tài khoản",
}


class AccountError(XeploaiError):
    """An account that can't be created or changed (bad name, role, password, unknown)."""


@dataclass(frozen=True)
class User:
    """A logged-in (or listed) account, without its password hash."""

    id: int
    username: str
    role: Role
    unit_id: str | None
    active: bool

    def sees_unit(self, unit_id: str) -> bool:
        return self.role != Role.HR or self.unit_id == unit_id

    @property
    def sees_all(self) -> bool:
        return self.role != Role.HR

    @property
    def may_decide(self) -> bool:
        """Records council decisions and signs runs off (SPEC §9: the council)."""
        return self.role == Role.COUNCIL

    @property
    def manages_users(self) -> bool:
        return self.role == Role.ADMIN


@dataclass(frozen=True)
class LoginSession:
    token: str  # goes in the cookie; only its hash is stored
    csrf_token: str
    user: User


class LoginRefused(XeploaiError):
    """Wrong name or password, a disabled account, or a name closed after failures."""

    def __init__(self, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _utc(moment: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC time (SQLite gives it back without its zone)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _user(rec: UserRecord) -> User:
    return User(int(rec.id), rec.username, Role(rec.role), rec.unit_id,  # type: ignore[arg-type]
                rec.active)


def _name(username: str) -> str:
    return username.strip().lower()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise AccountError(f"vai trò {text!r} không hợp lệ; dùng một trong: "
                           f"{', '.join(r.value for r in Role)}") from None


def add_user(engine: Engine, username: str, role: str | Role, password: str,
             unit_id: str | None = None) -> User:
    """Create an account; ``hr`` needs its unit, the other roles have none."""
    name = _name(username)
    the_role = parse_role(role) if isinstance(role, str) else role
    problems = []
    if not name or len(name) > MAX_NAME or not all(c.isalnum() or c in "._-@" for c in name):
        problems.append(f"tên đăng nhập {username!r} không hợp lệ: 1–{MAX_NAME} ký tự, chỉ "
                        "chữ, số và . _ - @")
    if the_role == Role.HR and not (unit_id or "").strip():
        problems.append("tài khoản vai trò hr cần mã đơn vị (--unit)")
    if the_role != Role.HR and unit_id:
        problems.append(f"chỉ vai trò hr gắn với một đơn vị; vai trò {the_role.value} xem "
                        "mọi đơn vị (bỏ --unit)")
    if len(password) < MIN_PASSWORD:
        problems.append(f"mật khẩu cần ít nhất {MIN_PASSWORD} ký tự")
    if problems:
        raise AccountError("; ".join(problems))
    with Session(engine) as session, session.begin():
        if session.exec(select(UserRecord).where(UserRecord.username == name)).first():
            raise AccountError(f"đã có tài khoản {name!r}")
        rec = UserRecord(username=name, role=the_role.value,
                         unit_id=unit_id.strip() if unit_id else None,
                         password_hash=_hasher.hash(password), created_at=_now())
        session.add(rec)
        session.flush()
        return _user(rec)


def list_users(engine: Engine) -> list[User]:
    with Session(engine) as session:
        rows = session.exec(select(UserRecord).order_by(UserRecord.username))
        return [_user(r) for r in rows]


def disable_user(engine: Engine, username: str) -> User:
    """Close an account and end its sessions (records it signed stay, under its name)."""
    name = _name(username)
    with Session(engine) as session, session.begin():
        rec = session.exec(select(UserRecord).where(UserRecord.username == name)).first()
        if rec is None:
            raise AccountError(f"không có tài khoản {name!r}")
        rec.active = False
        session.execute(delete(SessionRecord).where(SessionRecord.user_id == rec.id))  # type: ignore[arg-type]
        session.flush()
        return _user(rec)


def _blocked_for(failures: int) -> dt.timedelta:
    if failures < FREE_FAILURES:
        return dt.timedelta(0)
    return min(FIRST_BLOCK * 2 ** (failures - FREE_FAILURES), MAX_BLOCK)


def log_in(engine: Engine, username: str, password: str,
           now: dt.datetime | None = None) -> LoginSession:
    """Check a name and password and open a session; :class:`LoginRefused` otherwise.

    The message never says whether the name exists."""
    when = now or _now()
    name = _name(username)[:MAX_NAME]
    with Session(engine) as session:
        failure = session.get(LoginFailureRecord, name)
        failures = failure.failures if failure else 0
        if failure is not None and _utc(failure.blocked_until) > when:
            wait = int((_utc(failure.blocked_until) - when).total_seconds()) + 1
            raise LoginRefused(f"đăng nhập sai nhiều lần: thử lại sau {wait} giây", wait)
        rec = session.exec(select(UserRecord).where(UserRecord.username == name)).first()
    try:
        _hasher.verify(rec.password_hash if rec else _dummy_hash(), password)
        ok = rec is not None and rec.active
    except (VerificationError, InvalidHashError):
        ok = False
    with Session(engine) as session, session.begin():
        failure = session.get(LoginFailureRecord, name)
        if not ok:
            failures += 1
            blocked = when + _blocked_for(failures)
            if failure is None:
                session.add(LoginFailureRecord(username=name, failures=failures,
                                               blocked_until=blocked))
            else:
                failure.failures, failure.blocked_until = failures, blocked
        else:
            assert rec is not None
            if failure is not None:
                session.delete(failure)
            if _hasher.check_needs_rehash(rec.password_hash):
                stored = session.get(UserRecord, rec.id)
                stored.password_hash = _hasher.hash(password)  # type: ignore[union-attr]
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            session.add(SessionRecord(token_hash=_token_hash(token), user_id=rec.id,  # type: ignore[arg-type]
                                      csrf_token=csrf, created_at=when,
                                      expires_at=when + SESSION_LIFETIME))
    if not ok:
        # the failure is committed above: that is what slows the next try
        raise LoginRefused("tên đăng nhập hoặc mật khẩu không đúng")
    return LoginSession(token, csrf, _user(rec))  # type: ignore[arg-type]


def session_of(engine: Engine, token: str, now: dt.datetime | None = None
               ) -> LoginSession | None:
    """The live session a cookie's token names (None when unknown, expired or disabled)."""
    when = now or _now()
    with Session(engine) as session:
        row = session.exec(
            select(SessionRecord, UserRecord)
            .join(UserRecord, UserRecord.id == SessionRecord.user_id)  # type: ignore[arg-type]
            .where(SessionRecord.token_hash == _token_hash(token))).first()
    if row is None:
        return None
    sess, rec = row
    if _utc(sess.expires_at) <= when or not rec.active:
        return None
    return LoginSession(token, sess.csrf_token, _user(rec))


def log_out(engine: Engine, token: str) -> None:
    with Session(engine) as session, session.begin():
        session.execute(delete(SessionRecord).where(
            SessionRecord.token_hash == _token_hash(token)))  # type: ignore[arg-type]


def signing_key(engine: Engine) -> str:
    """The cookie-signing key kept in the database (made on first use)."""
    for _attempt in range(2):
        try:
            with Session(engine) as session, session.begin():
                rec = session.get(SecretRecord, 1)
                if rec is None:
                    rec = SecretRecord(id=1, value=secrets.token_urlsafe(48))
                    session.add(rec)
                return rec.value
        except IntegrityError:
            continue  # another server process made it at the same moment: read theirs
    raise AccountError("không tạo được khoá ký phiên đăng nhập")
