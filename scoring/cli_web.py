"""The workspace's commands: ``serve`` and ``user add|list|disable`` (SPEC §9), registered on
``xeploai``; thin layers over :mod:`xeploai.scoring.accounts` and
:mod:`xeploai.scoring.web.app`.
"""

from __future__ import annotations

import sys

import click
from rich.table import Table

from .accounts import ROLE_LABELS_VI, Role, add_user, disable_user, list_users
from .cli_common import XeploaiGroup, db_option, err, out, user_errors
from .storage import database_url, open_db, safe_url


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Địa chỉ lắng nghe. Mặc định chỉ máy này; đặt sau một reverse proxy có "
                   "HTTPS khi dùng trong mạng nội bộ (xem README).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="Cổng lắng nghe.")
@db_option
@user_errors
def serve(host: str, port: int, db: str | None) -> None:
    """Mở không gian làm việc trên trình duyệt (xem, điều chỉnh, ký duyệt kết quả) trên cùng
    cơ sở dữ liệu với các lệnh khác. Cần tài khoản: 'xeploai user add'.

    \b
    Ví dụ:
      xeploai user add admin --role admin
      xeploai serve
      xeploai serve --db postgresql+psycopg://xeploai@db/xeploai --port 8080
    """
    import uvicorn

    from .web.app import create_app

    engine = open_db(db)
    if not list_users(engine):
        err.print("cảnh báo: chưa có tài khoản nào; tạo bằng 'xeploai user add TEN --role "
                  "council'", markup=False)
    app = create_app(engine)
    err.print(f"Không gian làm việc: http://{host}:{port}/runs "
              f"(cơ sở dữ liệu {safe_url(database_url(db))}); Ctrl-C để dừng", markup=False)
    # proxy headers are trusted from this machine only (a reverse proxy in front of it)
    uvicorn.run(app, host=host, port=port, proxy_headers=True,
                forwarded_allow_ips="127.0.0.1", server_header=False, log_level="info")


@click.group(cls=XeploaiGroup)
def user() -> None:
    """Tài khoản của không gian làm việc: thêm, liệt kê, khoá.

    \b
    Ví dụ:
      xeploai user add nguyenvana --role council
      xeploai user list
    """


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]),
              help="hr (một đơn vị), council (Hội đồng: ghi quyết định, ký duyệt), auditor "
                   "(chỉ xem), admin (quản lý tài khoản).")
@click.option("--unit", "unit_id", default=None, metavar="MA_DON_VI",
              help="Đơn vị của tài khoản hr (bắt buộc với hr).")
@click.option("--password-stdin", is_flag=True,
              help="Đọc mật khẩu từ dòng đầu của đầu vào chuẩn (cho script) thay vì hỏi.")
@db_option
@user_errors
def user_add(name: str, role: str, unit_id: str | None, password_stdin: bool,
             db: str | None) -> None:
    """Thêm một tài khoản; mật khẩu được hỏi (không hiện) và lưu dạng băm Argon2.

    \b
    Ví dụ:
      xeploai user add tranthib --role hr --unit SO_NOIVU
      printf '%s\\n' "$MAT_KHAU" | xeploai user add kiemtra --role auditor --password-stdin
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại")
    account = add_user(open_db(db), name, role, password, unit_id)
    out.print(f"Đã thêm tài khoản {account.username} ({ROLE_LABELS_VI[account.role]}"
              f"{', đơn vị ' + account.unit_id if account.unit_id else ''})", markup=False)


@user.command("list")
@db_option
@user_errors
def user_list(db: str | None) -> None:
    """Liệt kê các tài khoản (không bao giờ hiện mật khẩu).

    \b
    Ví dụ:
      xeploai user list
    """
    table = Table(title="Tài khoản")
    for col in ("Tên đăng nhập", "Vai trò", "Đơn vị", "Trạng thái"):
        table.add_column(col)
    for account in list_users(open_db(db)):
        table.add_row(account.username, ROLE_LABELS_VI[account.role], account.unit_id or "",
                      "đang dùng" if account.active else "đã khoá")
    out.print(table)


@user.command("disable")
@click.argument("name")
@db_option
@user_errors
def user_disable(name: str, db: str | None) -> None:
    """Khoá một tài khoản và đóng mọi phiên đăng nhập của nó (các quyết định đã ghi vẫn giữ
    tên người ghi).

    \b
    Ví dụ:
      xeploai user disable tranthib
    """
    account = disable_user(open_db(db), name)
    out.print(f"Đã khoá tài khoản {account.username}", markup=False)
