"""The review workspace (SPEC §9): server-rendered pages over the library API.

Every page is a thin layer like the CLI commands: results, explanations, decisions,
comparisons and exports come from :mod:`xeploai.scoring.overrides`,
:mod:`xeploai.scoring.explain`, :mod:`xeploai.scoring.compare`, :mod:`xeploai.scoring.review`
and :func:`xeploai.scoring.api.export_run`; this module only checks who is asking, reads
forms and renders templates (Jinja2, autoescaped). No script runs in the pages and nothing
is loaded from outside the server (a strict Content-Security-Policy says so to the browser).
"""

from __future__ import annotations

import contextlib
import secrets
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from .. import api
from ..accounts import (
    ROLE_LABELS_VI,
    SESSION_LIFETIME,
    LoginRefused,
    LoginSession,
    Role,
    add_user,
    disable_user,
    list_users,
    log_in,
    log_out,
    session_of,
    signing_key,
)
from ..compare import compare_runs
from ..errors import UnknownOfficialError, UnknownRunError, XeploaiError
from ..explain import STEP_VI, evidence_text, explanation, value_text
from ..export import format_number
from ..overrides import (
    Meeting,
    meeting_from_fields,
    record_override,
)
from ..review import (
    LEVEL_CODES,
    TITLE_CODES,
    OfficialFilter,
    unit_officials,
)
from ..signoff import finalize_run, reopen_run, signoff_state
from ..storage import get_run, list_runs, open_db
from ..types import LEVEL_LABELS_VI, TITLE_LABELS_VI, Level, Title
from .cache import RunViews

SESSION_COOKIE = "xeploai_session"
LOGIN_COOKIE = "xeploai_login"  # the login form's CSRF token, before any session exists
HERE = Path(__file__).resolve().parent
EXPORT_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
SECURITY_HEADERS: dict[str, str] = {
    # no script at all, styles and images from this server only, never framed
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Refused(HTTPException):
    """A request the user may not make (or that makes no sense), with a Vietnamese reason."""


class NeedLogin(Exception):
    """No (live) session: the user is sent to the login page, then back."""


def level_label(code: str) -> str:
    return f"{LEVEL_LABELS_VI[Level(code)]} ({code})" if code in LEVEL_CODES else code


def titles_label(codes: str | list[str]) -> str:
    items = codes.split(";") if isinstance(codes, str) else codes
    return ", ".join(TITLE_LABELS_VI[Title(t)] for t in items if t) or "không"


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.filters.update(level=level_label, titles=titles_label, number=format_number,
                       value=value_text, evidence=evidence_text)
    env.globals.update(LEVELS=LEVEL_CODES, TITLES=TITLE_CODES, LEVEL_LABELS=LEVEL_LABELS_VI,
                       TITLE_LABELS=TITLE_LABELS_VI, ROLE_LABELS=ROLE_LABELS_VI, STEP_VI=STEP_VI,
                       EXPORT_FORMATS=api.EXPORT_FORMATS)
    return templates


class Workspace:
    """The app's state: the database, the cookie signer and the templates."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.signer = URLSafeTimedSerializer(signing_key(engine), salt="xeploai-web")
        self.templates = _templates()
        self.views = RunViews(engine)

    # --- sessions and CSRF -----------------------------------------------------------

    def login_of(self, request: Request) -> LoginSession | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        try:
            token = self.signer.loads(cookie, max_age=int(SESSION_LIFETIME.total_seconds()))
        except BadSignature:
            return None
        return session_of(self.engine, str(token))

    async def require(self, request: Request) -> LoginSession:
        login = await run_in_threadpool(self.login_of, request)
        if login is None:
            raise NeedLogin
        return login

    @staticmethod
    async def form_checked(request: Request, login: LoginSession) -> FormData:
        """The posted form, refused unless it carries this session's CSRF token."""
        form = await request.form()
        sent = str(form.get("csrf_token", ""))
        if not sent or not secrets.compare_digest(sent, login.csrf_token):
            raise Refused(403, "Biểu mẫu thiếu hoặc sai mã chống giả mạo (CSRF): hãy mở lại "
                               "trang và gửi lại.")
        return form

    def set_cookie(self, response: Response, request: Request, name: str, value: str,
                   max_age: int) -> None:
        response.set_cookie(name, self.signer.dumps(value), max_age=max_age, httponly=True,
                            samesite="strict", secure=request.url.scheme == "https", path="/")

    def page(self, request: Request, name: str, login: LoginSession | None,
             status: int = 200, **context: Any) -> Response:
        return self.templates.TemplateResponse(request, name, {"login": login, **context},
                                               status_code=status)

    # --- what a user may see ---------------------------------------------------------

    @staticmethod
    def check_unit(login: LoginSession, unit_id: str) -> None:
        if not login.user.sees_unit(unit_id):
            raise Refused(403, f"Tài khoản {login.user.username} chỉ được xem đơn vị "
                               f"{login.user.unit_id}.")

    @staticmethod
    def check_decider(login: LoginSession) -> None:
        if not login.user.may_decide:
            raise Refused(403, "Chỉ thành viên Hội đồng được ghi quyết định và ký duyệt; "
                               f"vai trò {ROLE_LABELS_VI[login.user.role]} chỉ được xem.")

    @staticmethod
    def check_admin(login: LoginSession) -> None:
        if not login.user.manages_users:
            raise Refused(403, "Chỉ quản trị viên (vai trò admin) được quản lý tài khoản.")

    @staticmethod
    def check_sees_all(login: LoginSession, what: str) -> None:
        if not login.user.sees_all:
            raise Refused(403, f"{what} gồm mọi đơn vị: tài khoản {login.user.username} chỉ "
                               f"được xem đơn vị {login.user.unit_id}.")


def _bool_filter(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def meeting_of_form(form: FormData) -> Meeting | None:
    """The meeting fields of the decision form (all three, or none)."""
    return meeting_from_fields(*(str(form.get(name, ""))
                                 for name in ("minutes_no", "meeting_date", "votes")))


def _run_id(request: Request) -> int:
    return int(request.path_params["run_id"])


def build_app(ws: Workspace) -> Starlette:
    async def login_page(request: Request) -> Response:
        if request.method == "GET":
            token = secrets.token_urlsafe(32)
            response = ws.page(request, "login.html", None, csrf_token=token,
                               next=request.query_params.get("next", ""))
            ws.set_cookie(response, request, LOGIN_COOKIE, token, 3600)
            return response
        form = await request.form()
        sent, cookie = str(form.get("csrf_token", "")), request.cookies.get(LOGIN_COOKIE, "")
        try:
            expected = str(ws.signer.loads(cookie, max_age=3600)) if cookie else ""
        except BadSignature:
            expected = ""
        target = str(form.get("next", ""))
        if not target.startswith("/") or target.startswith("//"):
            target = "/runs"  # only this server's own pages: no open redirect
        if not sent or not expected or not secrets.compare_digest(sent, expected):
            token = secrets.token_urlsafe(32)
            response = ws.page(request, "login.html", None, status=403, csrf_token=token,
                               next=target, error="Biểu mẫu đăng nhập đã hết hạn hoặc thiếu "
                                                  "mã chống giả mạo (CSRF): hãy thử lại.")
            ws.set_cookie(response, request, LOGIN_COOKIE, token, 3600)
            return response
        try:
            login = await run_in_threadpool(log_in, ws.engine, str(form.get("username", "")),
                                            str(form.get("password", "")))
        except LoginRefused as refused:
            response = ws.page(request, "login.html", None,
                               status=429 if refused.retry_after else 401, csrf_token=sent,
                               next=target, error=str(refused),
                               username=str(form.get("username", "")))
            if refused.retry_after:
                response.headers["Retry-After"] = str(refused.retry_after)
            return response
        response = RedirectResponse(target, status_code=303)
        ws.set_cookie(response, request, SESSION_COOKIE, login.token,
                      int(SESSION_LIFETIME.total_seconds()))
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return response

    async def logout(request: Request) -> Response:
        login = await ws.require(request)
        if request.method == "GET":
            return ws.page(request, "logout.html", login)
        await ws.form_checked(request, login)
        await run_in_threadpool(log_out, ws.engine, login.token)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def home(request: Request) -> Response:
        await ws.require(request)
        return RedirectResponse("/runs", status_code=303)

    async def runs(request: Request) -> Response:
        login = await ws.require(request)
        def gather() -> dict[str, Any]:
            records = list(reversed(list_runs(ws.engine)))
            return {"runs": records,
                    "states": {r.id: signoff_state(ws.engine, int(r.id)).describe()  # type: ignore[arg-type]
                               for r in records}}

        return ws.page(request, "runs.html", login, **await run_in_threadpool(gather))

    async def run_page(request: Request, status: int = 200, error: str = "") -> Response:
        login = await ws.require(request)
        run_id = _run_id(request)

        def gather() -> dict[str, Any]:
            run = get_run(ws.engine, run_id)
            view, summary = ws.views.summary(run_id)
            if not login.user.sees_all:
                summary = summary[summary["unit_id"] == login.user.unit_id]
            others = [r for r in list_runs(ws.engine) if r.id != run_id]
            return {"run": run, "summary": summary.to_dict("records"),
                    "decisions": len(view.decisions), "others": others,
                    "signoff": signoff_state(ws.engine, run_id)}

        context = await run_in_threadpool(gather)
        return ws.page(request, "run.html", login, status=status, error=error, **context)

    async def unit_page(request: Request) -> Response:
        login = await ws.require(request)
        run_id, unit_id = _run_id(request), request.path_params["unit_id"]
        ws.check_unit(login, unit_id)
        q = request.query_params
        where = OfficialFilter(
            level=q.get("level") if q.get("level") in LEVEL_CODES else None,
            title=q.get("title") if q.get("title") in (*TITLE_CODES, "none") else None,
            warning=_bool_filter(q.get("warning")), decided=_bool_filter(q.get("decided")),
            assumption=_bool_filter(q.get("assumption")), search=q.get("q", "")[:100])

        def gather() -> dict[str, Any]:
            run = get_run(ws.engine, run_id)
            view = ws.views.view(run_id)
            units = view.units[view.units["unit_id"] == unit_id]
            if units.empty and not (view.results["unit_id"] == unit_id).any():
                raise Refused(404, f"Lần chạy số {run_id} không có đơn vị {unit_id}.")
            total = int((view.results["unit_id"] == unit_id).sum())
            rows = unit_officials(view, ws.views.assumption_ids(run_id), unit_id, where)
            quotas = view.quotas[view.quotas["unit_id"] == unit_id]
            return {"run": run, "unit_id": unit_id,
                    "unit_name": units["name"].iloc[0] if len(units) else "",
                    "officials": rows.to_dict("records"), "total": total, "where": where,
                    "quotas": quotas.to_dict("records")}

        return ws.page(request, "unit.html", login, **await run_in_threadpool(gather))

    def official_context(login: LoginSession, run_id: int, official_id: str
                         ) -> dict[str, Any]:
        try:
            exp = explanation(ws.engine, official_id, run_id, view=ws.views.view(run_id))
        except UnknownOfficialError as exc:
            raise Refused(404, str(exc)) from exc
        ws.check_unit(login, exp["official"]["unit_id"])
        return {"run": get_run(ws.engine, run_id), "exp": exp,
                "locked": signoff_state(ws.engine, run_id).finalized}

    async def official_page(request: Request) -> Response:
        login = await ws.require(request)
        context = await run_in_threadpool(official_context, login, _run_id(request),
                                          request.path_params["official_id"])
        return ws.page(request, "official.html", login, form={}, **context)

    async def decide(request: Request) -> Response:
        login = await ws.require(request)
        ws.check_decider(login)
        form = await ws.form_checked(request, login)
        run_id, official_id = _run_id(request), request.path_params["official_id"]
        level = str(form.get("level", "")) or None
        titles = [str(t) for t in form.getlist("titles")] \
            if form.get("titles_change") == "set" else None

        def act() -> str:
            official_context(login, run_id, official_id)  # unknown official: 404
            outcome = record_override(ws.engine, official_id, reason=str(form.get("reason", "")),
                                      by=login.user.username, level=level, titles=titles,
                                      run_id=run_id, basis=str(form.get("basis", "")) or None,
                                      meeting=meeting_of_form(form))
            return outcome.flag

        try:
            flag = await run_in_threadpool(act)
        except XeploaiError as exc:
            context = await run_in_threadpool(official_context, login, run_id, official_id)
            return ws.page(request, "official.html", login, status=400, error=str(exc),
                           form=dict(form), form_titles=form.getlist("titles"), **context)
        where = f"/runs/{run_id}/officials/{quote(official_id, safe='')}?saved=1"
        return RedirectResponse(where + ("&flagged=1" if flag else ""), status_code=303)

    async def sign_off(request: Request) -> Response:
        """Finalise (lock) or reopen a run, under the logged-in council member's name."""
        login = await ws.require(request)
        ws.check_decider(login)
        form = await ws.form_checked(request, login)
        run_id = _run_id(request)
        action = request.url.path.rsplit("/", 1)[1]

        def act() -> None:
            if action == "finalize":
                finalize_run(ws.engine, run_id, by=login.user.username)
            else:
                reopen_run(ws.engine, run_id, by=login.user.username,
                           reason=str(form.get("reason", "")))

        try:
            await run_in_threadpool(act)
        except XeploaiError as exc:
            return await run_page(request, status=400, error=str(exc))
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    async def download(request: Request) -> Response:
        login = await ws.require(request)
        ws.check_sees_all(login, "Tệp xuất của lần chạy")
        run_id, fmt = _run_id(request), request.path_params["fmt"]
        if fmt not in api.EXPORT_FORMATS:
            raise Refused(404, f"Không có định dạng xuất {fmt!r}; có: "
                               f"{', '.join(api.EXPORT_FORMATS)}.")

        def make() -> bytes:
            with tempfile.TemporaryDirectory(prefix="xeploai-web-") as folder:
                target = Path(folder) / f"ket_qua.{fmt}"
                api.export_run(ws.engine, fmt, target, run_id)
                return target.read_bytes()

        body = await run_in_threadpool(make)
        run = await run_in_threadpool(get_run, ws.engine, run_id)
        name = f"xeploai_{run.year}_lan_chay_{run_id}.{fmt}"
        return Response(body, media_type=EXPORT_TYPES[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    async def compare_page(request: Request) -> Response:
        login = await ws.require(request)
        run_id = _run_id(request)
        other = request.query_params.get("with", "")
        if not other.isdigit():
            raise Refused(400, "Hãy chọn lần chạy để so sánh (tham số with).")

        def gather() -> dict[str, Any]:
            cmp = compare_runs(ws.engine, int(other), run_id)
            changes = cmp.changes
            if not login.user.sees_all:
                changes = changes[changes["unit_id"] == login.user.unit_id]
            return {"run": get_run(ws.engine, run_id), "other": get_run(ws.engine, int(other)),
                    "cmp": cmp, "changes": changes.to_dict("records")}

        return ws.page(request, "compare.html", login, **await run_in_threadpool(gather))

    async def users_page(request: Request) -> Response:
        login = await ws.require(request)
        ws.check_admin(login)
        message, error, status = "", "", 200
        if request.method == "POST":
            form = await ws.form_checked(request, login)
            try:
                if form.get("action") == "disable":
                    done = await run_in_threadpool(disable_user, ws.engine,
                                                   str(form.get("username", "")))
                    message = f"Đã khoá tài khoản {done.username}."
                else:
                    done = await run_in_threadpool(
                        add_user, ws.engine, str(form.get("username", "")),
                        str(form.get("role", "")), str(form.get("password", "")),
                        str(form.get("unit_id", "")).strip() or None)
                    message = f"Đã thêm tài khoản {done.username}."
            except XeploaiError as exc:
                error, status = str(exc), 400
        users = await run_in_threadpool(list_users, ws.engine)
        return ws.page(request, "users.html", login, status=status, users=users,
                       message=message, error=error, roles=list(Role))

    async def need_login(request: Request, _exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        login = await run_in_threadpool(ws.login_of, request)
        message = exc.detail if isinstance(exc, Refused) else {
            404: "Không có trang này.", 405: "Trang này không nhận yêu cầu kiểu đó."}.get(
            exc.status_code, "Yêu cầu không hợp lệ.")
        return ws.page(request, "error.html", login, status=exc.status_code, message=message)

    async def unknown(request: Request, exc: Exception) -> Response:
        login = await run_in_threadpool(ws.login_of, request)
        return ws.page(request, "error.html", login, status=404, message=str(exc))

    routes = [
        Route("/", home),
        Route("/login", login_page, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["GET", "POST"]),
        Route("/runs", runs),
        Route("/runs/{run_id:int}", run_page),
        Route("/runs/{run_id:int}/units/{unit_id}", unit_page),
        Route("/runs/{run_id:int}/officials/{official_id}", official_page),
        Route("/runs/{run_id:int}/officials/{official_id}/decisions", decide, methods=["POST"]),
        Route("/runs/{run_id:int}/finalize", sign_off, methods=["POST"]),
        Route("/runs/{run_id:int}/reopen", sign_off, methods=["POST"]),
        Route("/runs/{run_id:int}/export/{fmt}", download),
        Route("/runs/{run_id:int}/compare", compare_page),
        Route("/users", users_page, methods=["GET", "POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        NeedLogin: need_login, HTTPException: refused, UnknownRunError: unknown,
    }
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # read the latest run while nobody waits for it: a province's first page is then
        # as quick as the next ones (a daemon thread: stopping the server never waits on it)
        threading.Thread(target=ws.views.warm_latest, name="xeploai-warm", daemon=True).start()
        yield

    return Starlette(routes=routes, exception_handlers=handlers,  # type: ignore[arg-type]
                     middleware=[Middleware(SecurityHeaders)], lifespan=lifespan)


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request,
                       call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def create_app(db: str | Engine | None = None) -> Starlette:
    """The workspace on the database ``db`` (an engine, a URL, or XEPLOAI_DB / the default)."""
    engine = db if isinstance(db, Engine) else open_db(db)
    return build_app(Workspace(engine))

