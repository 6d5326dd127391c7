"""HR's own words (SPEC §3): Vietnamese labels in code columns, columns named as the
user's file names them."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xeploai.scoring import api
from xeploai.scoring.errors import InvalidInputError
from xeploai.scoring.input.aliases import VALUE_ALIASES, canonical_values

from .conftest import POLICY, SAMPLE

# written out here from SPEC §3, not read from the product's table: the test must fail
# when the table loses or changes a label the SPEC promises
SPEC_LABELS = {
    ("officials", "staff_type"): {"can_bo": "Cán bộ", "cong_chuc": "Công chức",
                                  "vien_chuc": "Viên chức"},
    ("dossiers", "late_cause"): {"chu_quan": "Chủ quan", "phan_mem": "Lỗi phần mềm",
                                 "khach_quan": "Khách quan"},
    ("reminders", "kind"): {"nhac_nho": "Nhắc nhở", "chan_chinh": "Chấn chỉnh"},
    ("reminders", "subject"): {"tre_han": "Trễ hạn"},
    ("discipline", "form"): {"khien_trach": "Khiển trách", "canh_cao": "Cảnh cáo",
                             "ha_bac_luong": "Hạ bậc lương", "giang_chuc": "Giáng chức",
                             "cach_chuc": "Cách chức", "buoc_thoi_viec": "Buộc thôi việc"},
    ("discipline", "authority"): {"dang": "Đảng", "chinh_quyen": "Chính quyền"},
    ("innovations", "kind"): {"sang_kien": "Sáng kiến", "de_tai": "Đề tài"},
    ("innovations", "level"): {"co_so": "Cấp cơ sở", "tinh": "Cấp tỉnh",
                               "toan_quoc": "Toàn quốc"},
    ("units", "tier"): {"tinh": "Tỉnh", "huyen": "Huyện", "xa": "Xã"},
    ("titles_history", "title"): {"LDTT": "Lao động tiên tiến",
                                  "CSTDCS": "Chiến sĩ thi đua cơ sở"},
}
SPELLINGS = [str, str.upper, str.lower, lambda s: unicodedata.normalize("NFD", s),
             lambda s: f"  {s} "]


def relabel(folder: Path, spell=str) -> int:
    """Write every code of the sample as its SPEC label (spelt by ``spell``); the number
    of cells changed."""
    changed = 0
    for (table, column), labels in SPEC_LABELS.items():
        path = folder / f"{table}.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        j = rows[0].index(column)
        for row in rows[1:]:
            if row[j] in labels:
                row[j] = spell(labels[row[j]])
                changed += 1
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    return changed


def results(folder: Path) -> pd.DataFrame:
    out = api.run(folder, 2023, policy=POLICY, store=False)
    return out.classification.results.sort_values("official_id").reset_index(drop=True)


@pytest.mark.parametrize("spell", SPELLINGS, ids=["as_spec", "upper", "lower", "nfd", "spaces"])
def test_vietnamese_values_classify_as_the_codes(tmp_path: Path, spell) -> None:
    folder = Path(shutil.copytree(SAMPLE, tmp_path / "data"))
    assert relabel(folder, spell) > 100
    pd.testing.assert_frame_equal(results(folder), results(SAMPLE))


def test_every_spec_label_is_in_the_table() -> None:
    for labels in SPEC_LABELS.values():
        for code, label in labels.items():
            assert label in VALUE_ALIASES[code], (code, label)
    assert "Cơ sở" in VALUE_ALIASES["co_so"] and "Tỉnh" in VALUE_ALIASES["tinh"]


def test_free_text_is_not_aliased(tmp_path: Path) -> None:
    """An initiative titled like a title code stays its own title; a label of another
    column's code is still an unknown code."""
    values = pd.Series(["Cán bộ", "Đảng", "", "can_bo", "Cán  BỘ"])
    assert canonical_values(values, ("can_bo", "cong_chuc")).tolist() == \
        ["can_bo", "Đảng", "", "can_bo", "can_bo"]
    folder = Path(shutil.copytree(SAMPLE, tmp_path / "data"))
    path = folder / "units.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",tinh", ",Cán bộ", 1),
                    encoding="utf-8")
    with pytest.raises(InvalidInputError) as info:
        api.validate(folder, policy=POLICY)
    (problem,) = info.value.problems
    assert (problem.column, problem.value, problem.check) == ("tier", "Cán bộ", "code")
    assert "tinh (Tỉnh)" in problem.expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["Cán bộ", "CÔNG CHỨC", "viên chức", "can_bo", "", "x",
                                 "Can bo", "cong_chuc"]), max_size=30))
def test_aliasing_is_idempotent_and_only_maps_labels(cells: list[str]) -> None:
    codes = ("can_bo", "cong_chuc", "vien_chuc")
    once = canonical_values(pd.Series(cells, dtype=object), codes)
    assert canonical_values(once, codes).tolist() == once.tolist()
    for before, after in zip(cells, once, strict=True):
        # a value changes only into a code, and only when it was no code already
        assert after == before or (after in codes and before not in codes)
        # no diacritics, no label: "Can bo" is not "Cán bộ"
        assert before != "Can bo" or after == "Can bo"


def test_message_names_the_column_as_the_file_does(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(SAMPLE, tmp_path / "data"))
    path = folder / "dossiers.csv"
    text = path.read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    path.write_text(header.replace("due_at", "Ngày hẹn trả").replace("late_cause", "Nguyên nhân")
                    + "\n" + rest.replace(",chu_quan,", ",Lỗi của tôi,", 1), encoding="utf-8")
    with pytest.raises(InvalidInputError) as info:
        api.validate(folder, policy=POLICY)
    (problem,) = info.value.problems
    assert (problem.column, problem.header) == ("late_cause", "Nguyên nhân")
    assert "cột Nguyên nhân [late_cause]" in str(problem)
    cli = subprocess.run([sys.executable, "-m", "xeploai.scoring.cli", "validate", "--data",
                          str(folder), "--policy", str(POLICY)], capture_output=True, text=True)
    assert cli.returncode == 1
    assert "cột Nguyên nhân [late_cause]: giá trị 'Lỗi của tôi'" in cli.stderr
    assert "Traceback" not in cli.stderr


def test_cross_check_names_the_column_as_the_file_does(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(SAMPLE, tmp_path / "data"))
    path = folder / "dossiers.csv"
    text = path.read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    # the handler of the first dossier does not exist
    path.write_text(header.replace("handler_id", "Cán bộ xử lý") + "\n"
                    + rest.replace(",BD0019,", ",ZZ9999,", 1), encoding="utf-8")
    with pytest.raises(InvalidInputError) as info:
        api.validate(folder, policy=POLICY)
    (problem,) = info.value.problems
    assert "cột Cán bộ xử lý [handler_id]: giá trị 'ZZ9999'" in str(problem)


def test_vietnamese_values_by_unit_store_the_sample_results(tmp_path: Path) -> None:
    """--by-unit reads the dossiers in blocks: a label there must mean the same code."""
    folder = Path(shutil.copytree(SAMPLE, tmp_path / "data"))
    relabel(folder)
    exports = []
    for name, data, extra in (("plain", SAMPLE, []), ("labels", folder, ["--by-unit", "10"])):
        url = f"sqlite:///{tmp_path / name}.db"
        done = subprocess.run([sys.executable, "-m", "xeploai.scoring.cli", "run", "--data",
                               str(data), "--year", "2023", "--policy", str(POLICY),
                               "--db", url, *extra], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        out = tmp_path / f"{name}.csv"
        api.export_run(url, "csv", out)
        exports.append(out.read_bytes())
    assert exports[0] == exports[1]

