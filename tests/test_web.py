"""The review workspace over HTTP (Starlette's TestClient, a real SQLite file, PostgreSQL in
CI for the decision round trip): every page, every refusal, escaping, sessions and the
downloads. The real-browser test is tests/test_web_browser.py."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path
from urllib.parse import unquote

import click
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient
from xeploai.scoring import api
from xeploai.scoring.accounts import (
    FREE_FAILURES,
    AccountError,
    LoginRefused,
    add_user,
    disable_user,
    list_users,
)
from xeploai.scoring.accounts import log_in as library_log_in
from xeploai.scoring.cli import main
from xeploai.scoring.overrides import load_overrides
from xeploai.scoring.storage import open_db
from xeploai.scoring.web.app import SESSION_COOKIE, create_app

from .conftest import SAMPLE
from .web_helpers import PASSWORD, add_accounts, csrf_of, log_in

DECISION_REASON = "Biên bản họp Hội đồng số 12/BB-HĐ ngày 10/01/2024"


@pytest.fixture(scope="module")
def prepared_db(tmp_path_factory) -> Path:
    """The sample run and the accounts in a SQLite file, made once: hashing passwords with
    Argon2 is slow on purpose."""
    path = tmp_path_factory.mktemp("web") / "xeploai.db"
    engine = open_db(f"sqlite:///{path}")
    api.run(SAMPLE, 2023, db=engine)
    add_accounts(engine)
    engine.dispose()
    return path


@pytest.fixture
def web_engine(prepared_db, tmp_path):
    """A copy of the prepared database of this test's own."""
    shutil.copy(prepared_db, tmp_path / "web.db")
    return open_db(f"sqlite:///{tmp_path / 'web.db'}")


@pytest.fixture
def client(web_engine):
    with TestClient(create_app(web_engine)) as test_client:
        yield test_client


def as_user(client: TestClient, name: str) -> TestClient:
    response = log_in(client, name)
    assert response.status_code == 200 and response.url.path == "/runs", response.text
    return client


PAGES = ["/runs", "/runs/1", "/runs/1/units/STP", "/runs/1/officials/BD0012",
         "/runs/1/export/csv", "/runs/1/compare?with=1", "/logout", "/users", "/"]


# --- login, sessions ----------------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_every_page_needs_a_login_and_comes_back_after_it(client, page):
    response = client.get(page, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    form = client.get(response.headers["location"])
    assert 'name="username"' in form.text and 'name="password"' in form.text
    # after logging in, the user lands on the page first asked for
    target = unquote(response.headers["location"].split("next=", 1)[1])
    assert target == page
    posted = client.post("/login", data={"username": "hoidong", "password": PASSWORD,
                                         "csrf_token": csrf_of(form.text), "next": target},
                         follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"] == target


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "runs"])
def test_login_never_sends_the_user_off_this_server(client, target):
    form = client.get("/login")
    posted = client.post("/login", data={"username": "hoidong", "password": PASSWORD,
                                         "csrf_token": csrf_of(form.text), "next": target},
                         follow_redirects=False)
    assert posted.headers["location"] == "/runs"


def test_login_form_has_the_stable_fields(client):
    page = client.get("/login")
    assert page.status_code == 200
    for field in ('name="username"', 'name="password"', 'name="csrf_token"'):
        assert field in page.text
    assert "Đăng nhập" in page.text and '<html lang="vi">' in page.text


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_login_without_the_right_csrf_token_is_refused(client, token):
    client.get("/login")  # the login cookie is set; the form's token is what's missing
    data = {"username": "hoidong", "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert SESSION_COOKIE not in response.cookies


def test_login_token_from_another_browser_is_refused(web_engine):
    with TestClient(create_app(web_engine)) as one, TestClient(create_app(web_engine)) as two:
        token = csrf_of(one.get("/login").text)
        two.get("/login")
        response = two.post("/login", data={"username": "hoidong", "password": PASSWORD,
                                            "csrf_token": token}, follow_redirects=False)
        assert response.status_code == 403


def test_wrong_password_and_unknown_name_get_the_same_answer(client):
    wrong = log_in(client, "hoidong", "not-the-password")
    unknown = log_in(client, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "tên đăng nhập hoặc mật khẩu không đúng" in wrong.text
    assert "tên đăng nhập hoặc mật khẩu không đúng" in unknown.text
    assert "not-the-password" not in wrong.text  # the password is never echoed


def test_repeated_failed_logins_are_slowed_even_with_the_right_password(client):
    for _ in range(FREE_FAILURES):
        assert log_in(client, "hoidong", "wrong-password").status_code == 401
    blocked = log_in(client, "hoidong", PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    assert "thử lại sau" in blocked.text
    assert SESSION_COOKIE not in blocked.cookies


def test_the_block_doubles_and_ends(web_engine):
    start = dt.datetime(2024, 1, 10, 8, 0, tzinfo=dt.UTC)
    for i in range(FREE_FAILURES + 1):
        with pytest.raises(LoginRefused):
            library_log_in(web_engine, "kiemtra", "wrong-password",
                           now=start + dt.timedelta(seconds=10 * i))
    last = start + dt.timedelta(seconds=10 * FREE_FAILURES)
    with pytest.raises(LoginRefused) as refused:
        library_log_in(web_engine, "kiemtra", PASSWORD, now=last + dt.timedelta(seconds=1))
    assert refused.value.retry_after == 4  # the second block: 2 s doubled, 1 s gone
    session = library_log_in(web_engine, "kiemtra", PASSWORD, now=last + dt.timedelta(minutes=1))
    assert session.user.username == "kiemtra"
    # a success clears the count: one more failure does not block
    with pytest.raises(LoginRefused) as again:
        library_log_in(web_engine, "kiemtra", "wrong", now=last + dt.timedelta(minutes=2))
    assert again.value.retry_after == 0


def test_session_cookie_is_signed_httponly_samesite(client):
    page = client.get("/login")
    response = client.post("/login", data={"username": "hoidong", "password": PASSWORD,
                                           "csrf_token": csrf_of(page.text)},
                           follow_redirects=False)
    header = response.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in header
    assert "HttpOnly" in header and "SameSite=strict" in header
    cookie = response.cookies[SESSION_COOKIE]
    # a tampered cookie is no session
    client.cookies.set(SESSION_COOKIE, cookie[:-2] + ("A" if cookie[-2] != "A" else "B")
                       + cookie[-1])
    assert client.get("/runs", follow_redirects=False).status_code == 303


def test_logout_needs_the_token_and_ends_the_session(client):
    as_user(client, "hoidong")
    page = client.get("/logout")
    assert page.status_code == 200
    refused = client.post("/logout", data={}, follow_redirects=False)
    assert refused.status_code == 403
    cookie = client.cookies[SESSION_COOKIE]
    done = client.post("/logout", data={"csrf_token": csrf_of(page.text)},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    # the old cookie, replayed, no longer opens anything
    client.cookies.set(SESSION_COOKIE, cookie)
    assert client.get("/runs", follow_redirects=False).status_code == 303


def test_a_disabled_account_loses_its_session(client, web_engine):
    as_user(client, "kiemtra")
    assert client.get("/runs").status_code == 200
    disable_user(web_engine, "kiemtra")
    assert client.get("/runs", follow_redirects=False).status_code == 303
    assert log_in(client, "kiemtra").status_code == 401


def test_the_password_is_stored_as_argon2_only(web_engine):
    from sqlalchemy import text

    with web_engine.connect() as conn:
        stored = conn.execute(text("select password_hash from users where username = 'hoidong'")
                              ).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize(("args", "message"), [
    (("x y", "council", PASSWORD, None), "tên đăng nhập"),
    (("a", "boss", PASSWORD, None), "vai trò"),
    (("a", "hr", PASSWORD, None), "--unit"),
    (("a", "auditor", PASSWORD, "STP"), "bỏ --unit"),
    (("a", "council", "short", None), "ít nhất"),
    (("HoiDong", "council", PASSWORD, None), "đã có"),
])
def test_bad_accounts_are_refused(web_engine, args, message):
    with pytest.raises(AccountError, match=message):
        add_user(web_engine, *args)


# --- pages ----------------------------------------------------------------------------

def test_security_headers_and_no_outside_resource(client):
    as_user(client, "hoidong")
    page = client.get("/runs/1/officials/BD0029")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script" not in page.text and "http://" not in page.text \
        and "https://" not in page.text
    assert client.get("/static/style.css").status_code == 200


def test_runs_and_run_summary_with_quota_use(client):
    as_user(client, "hoidong")
    runs = client.get("/runs")
    assert "Lần chạy số 1" in runs.text and "Bình Định 2023" in runs.text
    summary = client.get("/runs/1")
    assert summary.status_code == 200
    for unit in ("STP", "UBND_TP", "XA_PHUOCSON"):
        assert f'href="/runs/1/units/{unit}"' in summary.text
    assert "Tỷ lệ HTXSNV" in summary.text
    unit = client.get("/runs/1/units/STP").text
    assert "Trong tỷ lệ" in unit and "chuyen_vien" in unit and "UBND_TP" not in unit
    for fmt in api.EXPORT_FORMATS:
        assert f'href="/runs/1/export/{fmt}"' in summary.text


def test_unit_page_filters_and_search(client):
    as_user(client, "hoidong")

    def ids(query: str) -> set[str]:
        page = client.get(f"/runs/1/units/STP{query}")
        assert page.status_code == 200
        return set(pd.Series(page.text.split('href="/runs/1/officials/')[1:])
                   .str.split('"').str[0])

    everyone = ids("")
    assert len(everyone) == 20 and "BD0021" not in everyone
    assert ids("?level=HTXSNV") == {"BD0005", "BD0007"}
    assert ids("?level=KXL") == {"BD0015"}
    assert ids("?title=CSTDCS") == {"BD0005", "BD0007"}
    assert ids("?title=none") == {"BD0015", "BD0016"}
    assert ids("?q=bd0012") == {"BD0012"}
    assert ids("?q=nguyễn") == {"BD0001", "BD0017"}
    assert ids("?decided=yes") == set()
    assert ids("?warning=no") == everyone
    assert ids("?assumption=yes") and ids("?assumption=yes") | ids("?assumption=no") == everyone
    assert ids("?assumption=yes").isdisjoint(ids("?assumption=no"))
    assert ids("?level=HTTNV&title=none") == set()


def test_official_page_shows_what_explain_shows(client, web_engine):
    from xeploai.scoring.explain import explanation

    as_user(client, "kiemtra")
    page = client.get("/runs/1/officials/BD0029")
    assert page.status_code == 200
    exp = explanation(web_engine, "BD0029", 1)
    text = page.text.replace("&#39;", "'").replace("&amp;", "&")
    for reason in exp["reasons"]:
        assert reason["note"] in text
        assert reason["basis"] in text
        assert reason["rule"] in text
        for key in reason["params"]:
            assert f"({key})" in text or f"<code>{key}</code>" in text
    # evidence ids: the reminder's document number and the dossiers
    assert "125/TB-UBND" in text and "000.00.31.H08-230605-0001" in text
    assert "Số hồ sơ trễ hạn tính trong năm" in text  # a parameter named in Vietnamese
    assert "Hoàn thành nhiệm vụ (HTNV)" in text


def test_assumption_is_marked_on_the_official_page(client):
    as_user(client, "hoidong")
    marked = client.get("/runs/1/units/STP?assumption=yes").text
    first = marked.split('href="/runs/1/officials/')[1].split('"')[0]
    page = client.get(f"/runs/1/officials/{first}")
    assert 'class="tag assumption"' in page.text and "giả định của dự án" in page.text


def test_unknown_run_unit_official_and_format_are_404_in_vietnamese(client):
    as_user(client, "hoidong")
    for page, words in (("/runs/99", "không có lần chạy số 99"),
                        ("/runs/1/units/NOWHERE", "không có đơn vị NOWHERE"),
                        ("/runs/1/officials/NOBODY", "không có cán bộ"),
                        ("/runs/1/export/docx", "Không có định dạng xuất"),
                        ("/nothing-here", "Không có trang này")):
        response = client.get(page)
        assert response.status_code == 404, page
        assert words.lower() in response.text.lower(), page


# --- decisions ------------------------------------------------------------------------

def decide(client, official: str, data: dict, token: str | None = "page"):
    page = client.get(f"/runs/1/officials/{official}")
    form = dict(data)
    if token == "page":
        form["csrf_token"] = csrf_of(page.text)
    elif token is not None:
        form["csrf_token"] = token
    return client.post(f"/runs/1/officials/{official}/decisions", data=form)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request, web_engine):
    """The prepared SQLite copy, or the same made afresh in a PostgreSQL schema."""
    if request.param == "sqlite":
        return web_engine
    engine = open_db(request.getfixturevalue("pg_url"))
    api.run(SAMPLE, 2023, db=engine)
    add_user(engine, "hoidong", "council", PASSWORD)
    return engine


def test_council_decision_is_recorded_under_the_account_and_exported(any_engine):
    web_engine = any_engine
    client = TestClient(create_app(web_engine))
    as_user(client, "hoidong")
    done = decide(client, "BD0012", {"level": "HTNV", "titles_change": "set",
                                     "reason": DECISION_REASON})
    assert done.status_code == 200 and "Đã ghi quyết định" in done.text
    assert "do Hội đồng điều chỉnh" in done.text and DECISION_REASON in done.text
    decisions = load_overrides(web_engine, 1)
    assert decisions[["official_id", "level", "titles", "decided_by"]].values.tolist() == [
        ["BD0012", "HTNV", "", "hoidong"]]
    assert "BD0012" in client.get("/runs/1/units/STP?decided=yes").text
    # every export carries it
    sheet = client.get("/runs/1/export/xlsx")
    assert sheet.headers["content-type"].startswith("application/vnd.openxml")
    book = openpyxl.load_workbook(io.BytesIO(sheet.content))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row
             if c.value is not None]
    assert any(DECISION_REASON in c and "hoidong" in c for c in cells)
    rows = list(csv.DictReader(io.StringIO(client.get("/runs/1/export/csv")
                                           .content.decode("utf-8-sig"))))
    row = next(r for r in rows if r["official_id"] == "BD0012")
    assert (row["level"], row["override_by"]) == ("HTNV", "hoidong")
    dumped = json.loads(client.get("/runs/1/export/json").content)
    assert "BD0012" in json.dumps(dumped, ensure_ascii=False)
    document = client.get("/runs/1/export/pdf")
    assert document.headers["content-type"] == "application/pdf"
    assert document.content.startswith(b"%PDF")


def test_a_decision_recorded_elsewhere_shows_at_once(client, web_engine):
    """The pages keep a run in memory: a decision from the command line (or another server
    process) must still show on the next request."""
    from xeploai.scoring.overrides import record_override

    as_user(client, "hoidong")
    assert "BD0012" not in client.get("/runs/1/units/STP?decided=yes").text
    record_override(web_engine, "BD0012", reason="từ dòng lệnh", by="thu_ky", level="HTNV",
                    run_id=1)
    assert "BD0012" in client.get("/runs/1/units/STP?decided=yes").text
    summary = client.get("/runs/1").text
    assert "1 quyết định điều chỉnh" in summary


def test_decision_with_a_problem_is_shown_and_nothing_recorded(client, web_engine):
    as_user(client, "hoidong")
    response = decide(client, "BD0012", {"level": "", "titles_change": "keep",
                                         "reason": "<b>lý do</b>"})
    assert response.status_code == 400
    assert "Không ghi được quyết định" in response.text
    assert "&lt;b&gt;lý do&lt;/b&gt;" in response.text  # what was typed comes back, escaped
    assert load_overrides(web_engine, 1).empty


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_decision_without_the_session_csrf_token_is_refused(client, web_engine, token):
    as_user(client, "hoidong")
    response = decide(client, "BD0012", {"level": "HTNV", "reason": "x"}, token=token)
    assert response.status_code == 403 and "CSRF" in response.text
    assert load_overrides(web_engine, 1).empty


def test_csrf_token_of_another_session_is_refused(web_engine):
    with TestClient(create_app(web_engine)) as one, TestClient(create_app(web_engine)) as two:
        as_user(one, "hoidong")
        as_user(two, "hoidong")
        stolen = csrf_of(one.get("/runs/1/officials/BD0012").text)
        response = decide(two, "BD0012", {"level": "HTNV", "reason": "x"}, token=stolen)
        assert response.status_code == 403
        assert load_overrides(web_engine, 1).empty


@pytest.mark.parametrize("name", ["kiemtra", "quantri", "tochuc_stp"])
def test_only_the_council_records_decisions(client, web_engine, name):
    as_user(client, name)
    page = client.get("/runs/1/officials/BD0012")
    assert page.status_code == 200 and "Ghi quyết định mới" not in page.text
    response = client.post("/runs/1/officials/BD0012/decisions",
                           data={"level": "HTNV", "reason": "x",
                                 "csrf_token": csrf_of(page.text)})
    assert response.status_code == 403
    assert "Chỉ thành viên Hội đồng" in response.text
    assert load_overrides(web_engine, 1).empty


def test_a_decision_against_a_rule_needs_the_lifting_document(client, web_engine):
    """§8's checks, the CLI's: raising BD0029 above the repeat-offence ceiling is refused
    unless the form names the document that lifts the rule; then it is recorded, flagged."""
    as_user(client, "hoidong")
    refused = decide(client, "BD0029", {"level": "HTTNV", "reason": "Khiếu nại được chấp nhận"})
    assert refused.status_code == 400 and "trái quy định" in refused.text
    assert load_overrides(web_engine, 1).empty
    done = decide(client, "BD0029", {"level": "HTTNV", "reason": "Khiếu nại được chấp nhận",
                                     "basis": "QĐ 15/QĐ-UBND ngày 08/01/2024",
                                     "minutes_no": "12/BB-HĐTĐKT", "meeting_date": "10/01/2024",
                                     "votes": "7/1/0"})
    assert done.status_code == 200 and "Đã ghi quyết định" in done.text
    assert "theo văn bản QĐ 15/QĐ-UBND ngày 08/01/2024" in done.text
    assert "biên bản số 12/BB-HĐTĐKT ngày 10/01/2024" in done.text
    recorded = load_overrides(web_engine, 1).iloc[0]
    assert (recorded["basis"], recorded["minutes_no"], recorded["votes_for"],
            recorded["decided_by"]) == ("QĐ 15/QĐ-UBND ngày 08/01/2024", "12/BB-HĐTĐKT", 7,
                                        "hoidong")
    assert recorded["against_rules"]


@pytest.mark.parametrize(("fields", "message"), [
    ({"minutes_no": "12/BB"}, "cần đủ số biên bản, ngày họp"),
    ({"minutes_no": "12/BB", "meeting_date": "32/01/2024", "votes": "7/1/0"}, "ngày họp"),
    ({"minutes_no": "12/BB", "meeting_date": "10/01/2024", "votes": "bảy"}, "số phiếu"),
    ({"minutes_no": "12/BB", "meeting_date": "10/01/2024", "votes": "2/3/0"},
     "chưa được thông qua"),
    ({"level": "HTTNV"}, "không thay đổi gì"),
])
def test_bad_meeting_records_and_no_op_decisions_are_refused(client, web_engine, fields, message):
    as_user(client, "hoidong")
    response = decide(client, "BD0012", {"level": "HTNV", "reason": "x"} | fields)
    assert response.status_code == 400 and message in response.text
    assert load_overrides(web_engine, 1).empty


def test_finalize_locks_the_run_and_reopen_needs_a_reason(client, web_engine):
    from xeploai.scoring.signoff import signoff_state

    as_user(client, "hoidong")
    page = client.get("/runs/1")
    assert "chưa chốt" in page.text
    token = csrf_of(page.text)
    assert client.post("/runs/1/finalize", data={}).status_code == 403  # no token
    locked = client.post("/runs/1/finalize", data={"csrf_token": token})
    assert locked.status_code == 200 and "đã chốt bởi hoidong" in locked.text
    state = signoff_state(web_engine, 1)
    assert state.finalized and state.last.by == "hoidong"
    official = client.get("/runs/1/officials/BD0012").text
    assert "Lần chạy đã chốt" in official and "Ghi quyết định mới" not in official
    refused = client.post("/runs/1/officials/BD0012/decisions",
                          data={"csrf_token": token, "level": "HTNV", "reason": "x"})
    assert refused.status_code == 400 and "đã chốt" in refused.text
    assert load_overrides(web_engine, 1).empty
    again = client.post("/runs/1/finalize", data={"csrf_token": token})
    assert again.status_code == 400
    no_reason = client.post("/runs/1/reopen", data={"csrf_token": token, "reason": " "})
    assert no_reason.status_code == 400 and "lý do mở lại" in no_reason.text
    reopened = client.post("/runs/1/reopen", data={"csrf_token": token,
                                                   "reason": "Sửa theo kết luận thanh tra"})
    assert "đã mở lại bởi hoidong" in reopened.text
    assert "Sửa theo kết luận thanh tra" in reopened.text
    assert not signoff_state(web_engine, 1).finalized
    assert "Đã ghi quyết định" in decide(client, "BD0012", {"level": "HTNV", "reason": "x"}).text


@pytest.mark.parametrize("name", ["kiemtra", "quantri", "tochuc_stp"])
def test_only_the_council_signs_off(client, web_engine, name):
    from xeploai.scoring.signoff import signoff_state

    as_user(client, name)
    page = client.get("/runs/1")
    assert "Chốt kết quả" not in page.text
    response = client.post("/runs/1/finalize", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 403
    assert not signoff_state(web_engine, 1).finalized


# --- hr: one unit only --------------------------------------------------------------------

def test_hr_sees_its_unit_only(client):
    as_user(client, "tochuc_stp")
    assert client.get("/runs/1/units/STP").status_code == 200
    assert client.get("/runs/1/officials/BD0012").status_code == 200
    for page in ("/runs/1/units/UBND_TP", "/runs/1/officials/BD0029",
                 "/runs/1/officials/BD0029?x=1", "/runs/1/export/xlsx", "/runs/1/export/csv"):
        response = client.get(page)
        assert response.status_code == 403, page
        assert "chỉ được xem đơn vị STP" in response.text
        assert "Trần Văn Hùng" not in response.text
    summary = client.get("/runs/1").text
    assert 'href="/runs/1/units/STP"' in summary
    assert "UBND_TP" not in summary and "XA_PHUOCSON" not in summary
    assert "/export/" not in summary


def test_compare_page_shows_who_changed_and_why(client, web_engine):
    api.run(SAMPLE, 2023, db=web_engine, again=True)  # run 2, same data: a repeat
    as_user(client, "hoidong")
    decide(client, "BD0012", {"level": "HTNV", "reason": DECISION_REASON})
    page = client.get("/runs/2/compare?with=1")
    assert page.status_code == 200
    assert "BD0012" in page.text and "HTNV → HTTNV" in page.text
    assert "Hội đồng điều chỉnh" in page.text and DECISION_REASON in page.text
    assert client.get("/runs/2/compare").status_code == 400


# --- escaping -------------------------------------------------------------------------

SCRIPT_NAME = '<script>alert("xeploai")</script>'


def test_a_script_in_a_name_is_shown_as_text(tmp_path, sqlite_url):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    officials = pd.read_csv(data / "officials.csv", dtype=str, keep_default_na=False)
    officials.loc[officials["official_id"] == "BD0012", "full_name"] = SCRIPT_NAME
    officials.to_csv(data / "officials.csv", index=False)
    engine = open_db(sqlite_url)
    api.run(data, 2023, db=engine)
    add_accounts(engine)
    with TestClient(create_app(engine)) as client:
        as_user(client, "hoidong")
        decide(client, "BD0012", {"level": "HTNV", "reason": SCRIPT_NAME})
        for page in ("/runs/1/units/STP", "/runs/1/officials/BD0012"):
            text = client.get(page).text
            assert "<script" not in text, page
            assert "&lt;script&gt;alert(&#34;xeploai&#34;)&lt;/script&gt;" in text, page


# --- command line -----------------------------------------------------------------------

def xeploai(db_url: str, *args: str, stdin: str = "", expect: int = 0):
    result = CliRunner().invoke(main, list(args), input=stdin, env={"XEPLOAI_DB": db_url},
                                catch_exceptions=False)
    assert result.exit_code == expect, result.output
    return result


def test_cli_user_add_list_disable(db_url):
    xeploai(db_url, "user", "add", "thuky", "--role", "council", "--password-stdin",
            stdin=f"{PASSWORD}\n")
    xeploai(db_url, "user", "add", "tochuc", "--role", "hr", "--unit", "STP",
            "--password-stdin", stdin=f"{PASSWORD}\n")
    listed = xeploai(db_url, "user", "list").output
    assert "thuky" in listed and "tochuc" in listed and "STP" in listed
    assert PASSWORD not in listed and "argon2" not in listed
    bad = xeploai(db_url, "user", "add", "x", "--role", "hr", "--password-stdin",
                  stdin="short\n", expect=1)
    assert "--unit" in bad.output and "ít nhất" in bad.output and "Traceback" not in bad.output
    xeploai(db_url, "user", "add", "y", "--role", "chief", "--password-stdin", stdin="x\n",
            expect=2)
    xeploai(db_url, "user", "disable", "thuky")
    users = {u.username: u for u in list_users(open_db(db_url))}
    assert not users["thuky"].active and users["tochuc"].active
    assert "không có tài khoản" in xeploai(db_url, "user", "disable", "nobody",
                                            expect=1).output
    with pytest.raises(LoginRefused):
        library_log_in(open_db(db_url), "thuky", PASSWORD)


def test_cli_user_add_asks_for_the_password_twice(sqlite_url):
    xeploai(sqlite_url, "user", "add", "hoi", "--role", "council",
            stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert library_log_in(open_db(sqlite_url), "hoi", PASSWORD).user.username == "hoi"
    xeploai(sqlite_url, "user", "add", "hai", "--role", "council",
            stdin=f"{PASSWORD}\nsomething-else\n", expect=1)


def test_serve_binds_to_this_machine_by_default():
    serve = main.get_command(click.Context(main), "serve")
    host = next(p for p in serve.params if p.name == "host")
    assert host.default == "127.0.0.1"


def test_templates_and_style_are_package_data():
    root = Path(__import__("xeploai.scoring.web", fromlist=["x"]).__file__).parent
    assert (root / "templates" / "official.html").is_file()
    assert (root / "static" / "style.css").is_file()


# --- accounts in the browser (admin) ----------------------------------------------------

def test_admin_manages_accounts_in_the_browser(client, web_engine):
    as_user(client, "quantri")
    page = client.get("/users")
    assert page.status_code == 200 and "tochuc_stp" in page.text
    added = client.post("/users", data={"csrf_token": csrf_of(page.text), "action": "add",
                                        "username": "tochuc_xa", "role": "hr",
                                        "unit_id": "XA_PHUOCSON", "password": PASSWORD})
    assert added.status_code == 200 and "Đã thêm tài khoản tochuc_xa" in added.text
    assert PASSWORD not in added.text
    bad = client.post("/users", data={"csrf_token": csrf_of(page.text), "action": "add",
                                      "username": "x", "role": "hr", "password": PASSWORD})
    assert bad.status_code == 400 and "--unit" in bad.text
    off = client.post("/users", data={"csrf_token": csrf_of(page.text), "action": "disable",
                                      "username": "kiemtra"})
    assert "Đã khoá tài khoản kiemtra" in off.text
    users = {u.username: u for u in list_users(web_engine)}
    assert users["tochuc_xa"].unit_id == "XA_PHUOCSON" and not users["kiemtra"].active
    forged = client.post("/users", data={"action": "disable", "username": "hoidong"})
    assert forged.status_code == 403
    assert {u.username: u for u in list_users(web_engine)}["hoidong"].active


@pytest.mark.parametrize("name", ["hoidong", "kiemtra", "tochuc_stp"])
def test_only_admin_manages_accounts(client, web_engine, name):
    as_user(client, name)
    assert client.get("/users").status_code == 403
    page = client.get("/runs")
    response = client.post("/users", data={"csrf_token": csrf_of(page.text),
                                           "action": "disable", "username": "quantri"})
    assert response.status_code == 403
    assert {u.username: u for u in list_users(web_engine)}["quantri"].active
