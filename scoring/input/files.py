"""Which files of a dataset folder are read, and which can't or won't be (SPEC §3).

Checked before any reader opens a file: a data file that is a symbolic link or not a
regular file (a FIFO, a device — a link to ``/dev/zero`` would never end) is refused; a
required table without its file is reported with the names accepted for it; a file the
product does not read (a table file: .csv, .xlsx, …) is named in a warning, since HR staff
may have named it wrongly.
"""

from __future__ import annotations

import difflib
import hashlib
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import Problem
from ..types import TableSpec

EXTENSIONS: tuple[str, ...] = (".csv", ".xlsx")
# files that hold a table: one of these the product does not read was meant as data (a
# README or a script beside the data is not, and is not worth a warning on every run)
TABLE_SUFFIXES = frozenset({".csv", ".xlsx", ".xlsm", ".xls", ".ods", ".tsv"})


@dataclass
class FolderCheck:
    """Problems that stop a run before any file is read, and warnings about the folder."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def accepted_names(table: str) -> str:
    """The file names a table may have, for messages: ``units.csv hoặc units.xlsx``."""
    return " hoặc ".join(f"{table}{ext}" for ext in EXTENSIONS)


def missing_file_problem(table: str) -> Problem:
    """A required table whose file is not in the folder."""
    return Problem(f"{table}.csv", None, None, None,
                   f"thiếu tệp bắt buộc: thư mục dữ liệu cần tệp {accepted_names(table)} "
                   "(tên tệp viết thường, đúng như vậy)", "missing_file")


def unsafe_file_problem(path: Path) -> Problem | None:
    """A refusal when ``path`` exists but is not a regular file of its own (not followed:
    a link may point anywhere, a device or FIFO may never end)."""
    try:
        mode = path.lstat().st_mode
    except OSError:
        return None
    if stat.S_ISLNK(mode):
        what = "là liên kết tượng trưng (symlink)"
    elif stat.S_ISREG(mode):
        return None
    elif stat.S_ISDIR(mode):
        what = "là một thư mục"
    else:
        what = "không phải tệp thường (thiết bị, FIFO hoặc socket)"
    return Problem(path.name, None, None, None,
                   f"tệp dữ liệu {what}: xeploai chỉ đọc tệp thật nằm trong thư mục dữ liệu; "
                   "hãy sao chép tệp vào đó", "unsafe_file")


def check_folder(folder: Path, specs: Iterable[TableSpec]) -> FolderCheck:
    """The folder-level checks every reading path runs first (see the module docstring)."""
    specs = list(specs)
    out = FolderCheck()
    expected = {f"{s.name}{ext}" for s in specs for ext in EXTENSIONS}
    for name in sorted(expected):
        problem = unsafe_file_problem(folder / name)
        if problem is not None:
            out.problems.append(problem)
    try:
        present = sorted(p.name for p in folder.iterdir())
    except OSError:
        return out
    for name in present:
        if name in expected or name.startswith((".", "~$")) \
                or Path(name).suffix.lower() not in TABLE_SUFFIXES:
            continue
        stem = Path(name).stem
        if stem in {s.name for s in specs}:
            continue  # units.xls, units.CSV: the readers say why it can't be read
        close = difflib.get_close_matches(stem.lower(), [s.name for s in specs], n=1,
                                          cutoff=0.75)
        hint = f"; có phải {accepted_names(close[0])}?" if close else ""
        out.warnings.append(Problem(name, None, None, None,
                                    "tệp này không được đọc: xeploai chỉ đọc các bảng "
                                    + ", ".join(s.name for s in specs)
                                    + f" (.csv hoặc .xlsx){hint}", "unread_file"))
    return out


def find_table_file(folder: Path, name: str) -> Path | None:
    """The file holding table ``name`` (.csv first, then .xlsx), if there is one."""
    for ext in (".csv", ".xlsx"):
        candidate = folder / f"{name}{ext}"
        if candidate.exists():
            return candidate
    return None


def table_file_problems(folder: Path, name: str) -> list[Problem]:
    """Files a user meant as the table but that can't be read as it: both .csv and .xlsx,
    or an old-format .xls/.ods (Excel's 'Save as' default on old installs)."""
    problems = []
    if (folder / f"{name}.csv").exists() and (folder / f"{name}.xlsx").exists():
        problems.append(Problem(f"{name}.csv", None, None, None,
                                f"có cả {name}.csv và {name}.xlsx: chỉ giữ một tệp cho mỗi bảng",
                                "missing_file"))
    if find_table_file(folder, name) is None:
        for ext in (".xls", ".ods", ".txt", ".CSV", ".XLSX"):
            if (folder / f"{name}{ext}").exists():
                problems.append(Problem(f"{name}{ext}", None, None, None,
                                        f"định dạng {ext} không đọc được: lưu lại thành "
                                        f"{name}.xlsx hoặc {name}.csv (CSV UTF-8)", "missing_file"))
    return problems


def file_hash(path: Path) -> str:
    """The SHA-256 of a data file, as a run records it."""
    return scan_file(path).sha256


@dataclass(frozen=True)
class FileScan:
    """What one more read of a file tells: its hash, its lines, and whether it holds a NUL."""

    sha256: str
    lines: int  # line breaks, plus one for a last line without its break
    nul: bool


def scan_file(path: Path) -> FileScan:
    """Hash ``path`` (the hash a run stores, as :func:`file_hash`) and count its lines."""
    digest = hashlib.sha256()
    breaks, nul, last = 0, False, b"\n"
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            # numpy compares a block's bytes in SIMD: a third of bytes.count's time
            breaks += int(np.count_nonzero(np.frombuffer(block, np.uint8) == ord("\n")))
            nul = nul or b"\x00" in block
            last = block[-1:]
    return FileScan(digest.hexdigest(), breaks + (last != b"\n"), nul)
