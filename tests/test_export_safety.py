"""Exports are safe: never half-written, never silently overwritten, never a live formula."""

from __future__ import annotations

import errno
import io
import os
import pathlib

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from xeploai.scoring import api
from xeploai.scoring.cli import main
from xeploai.scoring.export import FORMULA_STARTS, ExportError, write_csv

from .conftest import SAMPLE

FORMATS = ["csv", "json", "xlsx"]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'x.db'}"
    api.run(SAMPLE, 2023, db=url)
    return url


def export(db: str, fmt: str, out: pathlib.Path, *extra: str, expect: int = 0):
    result = CliRunner().invoke(main, ["export", "--format", fmt, "--out", str(out),
                                       "--db", db, *extra])
    assert result.exit_code == expect, result.output
    assert "Traceback" not in result.output
    return result


def leftovers(folder: pathlib.Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def reopen(fmt: str, path: pathlib.Path) -> int:
    """Rows in the export, read back the way a council member's tools would."""
    if fmt == "csv":
        return len(pd.read_csv(path, encoding="utf-8-sig"))
    if fmt == "json":
        return len(pd.read_json(path))
    wb = openpyxl.load_workbook(path)
    return sum(ws.max_row - 1 for ws in wb.worksheets[1:] if ws.title.isupper())


@pytest.mark.parametrize("fmt", FORMATS)
def test_existing_file_is_kept_unless_force(db, tmp_path, fmt):
    out = tmp_path / f"ket_qua.{fmt}"
    out.write_bytes(b"the council's own file")
    result = export(db, fmt, out, expect=1)
    assert "--force" in result.output and str(out) in result.output
    assert out.read_bytes() == b"the council's own file"
    export(db, fmt, out, "--force")
    assert out.read_bytes() != b"the council's own file"
    assert reopen(fmt, out) > 0
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_failure_while_writing_leaves_the_old_file_and_no_temp(db, tmp_path, fmt, monkeypatch):
    out = tmp_path / f"ket_qua.{fmt}"
    export(db, fmt, out)
    good = out.read_bytes()

    def half_then_disk_full(self, data, *args, **kwargs):
        # half the bytes reach the disk, then the disk is full
        raw = data.encode() if isinstance(data, str) else data
        with open(self, "wb") as fh:
            fh.write(raw[: len(raw) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    real_to_csv = pd.DataFrame.to_csv

    def csv_half(self, path=None, *args, **kwargs):
        if isinstance(path, pathlib.Path):
            half_then_disk_full(path, real_to_csv(self, None, *args, **kwargs))
        return real_to_csv(self, path, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", half_then_disk_full)
    monkeypatch.setattr(pathlib.Path, "write_bytes", half_then_disk_full)
    monkeypatch.setattr(pd.DataFrame, "to_csv", csv_half)
    result = export(db, fmt, out, "--force", expect=1)
    assert "ổ đĩa hết chỗ trống" in result.output and "giữ nguyên" in result.output
    assert out.read_bytes() == good
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_ctrl_c_while_writing_leaves_nothing_half_written(db, tmp_path, fmt, monkeypatch):
    out = tmp_path / f"moi.{fmt}"

    def interrupted(self, data, *args, **kwargs):
        with open(self, "wb") as fh:
            fh.write(b"official_id,full_na")
        raise KeyboardInterrupt

    monkeypatch.setattr(pathlib.Path, "write_text", interrupted)
    monkeypatch.setattr(pathlib.Path, "write_bytes", interrupted)
    monkeypatch.setattr(pd.DataFrame, "to_csv", lambda self, path, *a, **k: interrupted(path, b""))
    result = export(db, fmt, out, expect=130)
    assert "Ctrl-C" in result.output
    assert not out.exists() and leftovers(tmp_path) == []


def test_a_file_appearing_during_the_export_is_not_overwritten(db, tmp_path, monkeypatch):
    """Another export (or a person) creates the file while ours is being written."""
    out = tmp_path / "ket_qua.json"
    real = pathlib.Path.write_text

    def meanwhile(self, data, *args, **kwargs):
        out.write_bytes(b"theirs")
        return real(self, data, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", meanwhile)
    result = export(db, "json", out, expect=1)
    assert "--force" in result.output
    assert out.read_bytes() == b"theirs" and leftovers(tmp_path) == []


def test_missing_folder_and_folder_as_file_are_user_errors(db, tmp_path):
    assert "không có thư mục" in export(db, "csv", tmp_path / "khong_co" / "k.csv",
                                        expect=1).output
    assert "thư mục" in export(db, "csv", tmp_path, expect=1).output


def test_new_export_has_ordinary_permissions(db, tmp_path):
    """The temporary file is private; the export must not stay so."""
    out = tmp_path / "k.csv"
    umask = os.umask(0o022)
    try:
        export(db, "csv", out)
    finally:
        os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o644


def test_library_refuses_before_doing_any_work(tmp_path):
    out = tmp_path / "k.csv"
    out.write_text("x")
    with pytest.raises(ExportError):
        # no database at all: the refusal comes first
        api.export_run("sqlite:///" + str(tmp_path / "none" / "x.db"), "csv", out)


# -- formula injection -------------------------------------------------------------------

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)


@settings(max_examples=150, deadline=None)
@given(name=st.one_of(texts, st.builds(lambda c, t: c + t, st.sampled_from(FORMULA_STARTS),
                                       texts)))
def test_no_exported_text_cell_starts_a_formula_and_rows_stay_whole(name):
    results = pd.DataFrame([{"official_id": "A1", "full_name": name, "unit_id": "U1",
                             "year": 2023, "score": 80.0, "provisional_level": "HTTNV",
                             "level": "HTTNV", "titles": "LDTT", "reasons": "core.x"}])
    buf = io.StringIO()
    write_csv(results, buf)
    cell = pd.read_csv(io.StringIO(buf.getvalue()), dtype=str, keep_default_na=False,
                       ).loc[0, "full_name"]
    assert not cell.startswith(FORMULA_STARTS)
    # line breaks survive as LF (a lone CR would split the row); nothing else changes
    kept = name.replace("\r\n", "\n").replace("\r", "\n")
    assert cell in (kept, "'" + kept)
