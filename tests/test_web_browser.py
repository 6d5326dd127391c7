"""The review workspace in a real browser: Debian's headless Chromium driven by Playwright
against `xeploai serve` (uvicorn) on a free localhost port. An HR officer and a council
member each do their part of the review; the council member records a decision and signs
the run off, and the decision is found in the downloaded xlsx.

Set XEPLOAI_SCREENSHOTS=DIR to keep a screenshot of each main page.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from xeploai.scoring import api
from xeploai.scoring.overrides import load_overrides
from xeploai.scoring.storage import open_db

from .conftest import SAMPLE
from .web_helpers import PASSWORD, add_accounts

CHROMIUM = "/usr/bin/chromium"  # Debian's package, installed by .ci/run; never `playwright install`
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
REASON = "Biên bản họp Hội đồng số 07/BB-HĐ: chưa hoàn thành hồ sơ cải cách"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`xeploai serve` on the sample run with the test accounts; yields (base URL, db URL)."""
    db_url = f"sqlite:///{tmp_path / 'xeploai.db'}"
    engine = open_db(db_url)
    api.run(SAMPLE, 2023, db=engine)
    add_accounts(engine)
    engine.dispose()
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "xeploai.scoring.cli", "serve", "--db", db_url,
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("server did not start: "
                                       + (tmp_path / "server.log").read_text()) from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", db_url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
        # no secret in the server's log: neither the password nor a session cookie
        text = (tmp_path / "server.log").read_text()
        assert PASSWORD not in text and "xeploai_session" not in text


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def shoot(page, name: str) -> None:
    folder = os.environ.get("XEPLOAI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def log_in(page, base: str, name: str, shot: str | None = None) -> None:
    page.goto(f"{base}/runs")
    assert "/login" in page.url  # every page needs a login
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    if shot:
        shoot(page, shot)
    page.click("button:has-text('Đăng nhập')")
    page.wait_for_url(f"{base}/runs")


def test_hr_and_council_review_in_a_browser(server, browser, tmp_path):
    base, db_url = server

    # the HR officer of STP: sees that unit, filters it, can't open another unit or decide
    hr = browser.new_context(accept_downloads=True).new_page()
    log_in(hr, base, "tochuc_stp", shot="01_dang_nhap")
    hr.click("text=Lần chạy số 1")
    hr.wait_for_url(f"{base}/runs/1")
    assert hr.locator("a[href='/runs/1/units/UBND_TP']").count() == 0
    shoot(hr, "07_to_chuc_chi_thay_don_vi_minh")
    hr.click("a[href='/runs/1/units/STP']")
    hr.select_option("select[name=level]", "HTXSNV")
    hr.click("button:has-text('Lọc')")
    rows = hr.locator("table.officials tbody tr")
    assert rows.count() == 2 and "BD0005" in rows.all_inner_texts()[0]
    hr.goto(f"{base}/runs/1/officials/BD0029")
    assert "chỉ được xem đơn vị STP" in hr.content()
    shoot(hr, "08_to_chuc_bi_tu_choi")
    hr.goto(f"{base}/runs/1/officials/BD0012")
    assert hr.locator("form.decision").count() == 0

    # the council member: finds the official by name, reads the reasons, decides
    council = browser.new_context(accept_downloads=True).new_page()
    log_in(council, base, "hoidong")
    shoot(council, "02_cac_lan_chay")
    council.click("text=Lần chạy số 1")
    shoot(council, "03_tong_hop_lan_chay")
    council.click("a[href='/runs/1/units/STP']")
    council.fill("input[name=q]", "Phan Văn Lộc")
    council.click("button:has-text('Lọc')")
    assert council.locator("table.officials tbody tr").count() == 1
    shoot(council, "04_don_vi_loc")
    council.click("a[href='/runs/1/officials/BD0012']")
    assert "Căn cứ:" in council.content()
    council.select_option("select[name=level]", "HTNV")
    council.check("input[name=titles_change][value=set]")
    council.fill("textarea[name=reason]", REASON)
    council.click("button:has-text('Ghi quyết định')")
    council.wait_for_selector("text=Đã ghi quyết định")
    assert "do Hội đồng điều chỉnh" in council.inner_text("#final-level")
    shoot(council, "05_can_bo_quyet_dinh")
    decisions = load_overrides(open_db(db_url), 1)
    assert decisions[["official_id", "level", "decided_by"]].values.tolist() == [
        ["BD0012", "HTNV", "hoidong"]]

    # sign the run off: it is locked, under the council member's name
    council.goto(f"{base}/runs/1")
    council.click("button:has-text('Chốt kết quả')")
    council.wait_for_selector("text=đã chốt bởi hoidong")
    shoot(council, "06_lan_chay_da_chot")
    council.goto(f"{base}/runs/1/officials/BD0012")
    assert council.locator("form.decision").count() == 0
    assert "Lần chạy đã chốt" in council.content()
    council.goto(f"{base}/runs/1")

    # download the council workbook and find the decision in it
    with council.expect_download() as waiting:
        council.click("a[href='/runs/1/export/xlsx']")
    saved = tmp_path / "ket_qua.xlsx"
    waiting.value.save_as(saved)
    book = openpyxl.load_workbook(saved)
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row
             if c.value is not None]
    assert any(REASON in c and "hoidong" in c for c in cells)

    # logging out ends the session
    council.click("button:has-text('Đăng xuất')")
    council.wait_for_url(f"{base}/login")
    council.goto(f"{base}/runs/1")
    assert "/login" in council.url
