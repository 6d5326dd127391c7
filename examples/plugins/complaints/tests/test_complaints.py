"""The complaints plugin through xeploai's public API: xeploai.scoring.testing builds the data."""

import pytest
from xeploai.scoring.api import Session
from xeploai.scoring.errors import InvalidInputError
from xeploai.scoring.testing import DatasetBuilder


def complaints(b: DatasetBuilder, official: str, n: int, *, decided_on: str = "2023-06-01",
               outcome: str = "dung") -> None:
    for i in range(n):
        b.add("complaints", complaint_id=f"KN-{official}-{outcome}-{decided_on}-{i}",
              official_id=official, received_on="2023-01-02", decided_on=decided_on,
              outcome=outcome, document_no=f"{i}/QĐ-GQKN")


def excellent_group(b: DatasetBuilder) -> None:
    """A at 95 among four good peers: the 20 % quota keeps one excellent."""
    b.official("A", task_score=95)
    b.peers(4)


def test_more_than_five_upheld_complaints_rule_out_excellent(tmp_path, policy):
    b = DatasetBuilder()
    excellent_group(b)
    complaints(b, "A", 6)
    res = b.classify(tmp_path, 2023, policy=policy)
    assert res.row("A")["provisional_level"] == "HTXSNV"
    assert res.level("A") == "HTTNV"
    reason = res.reason("A", "complaints.too_many_upheld")
    assert reason["ceiling"] == "HTTNV"
    assert "giả định" in reason["basis"]


def test_five_upheld_and_rejected_complaints_change_nothing(tmp_path, policy):
    b = DatasetBuilder()
    excellent_group(b)
    complaints(b, "A", 5)
    complaints(b, "A", 3, outcome="sai")
    complaints(b, "A", 3, outcome="dung", decided_on="2022-12-30")
    res = b.classify(tmp_path, 2023, policy=policy)
    assert res.level("A") == "HTXSNV"
    assert "complaints.too_many_upheld" not in res.rules("A")


def test_the_threshold_is_dated_three_from_2025(tmp_path, policy):
    b = DatasetBuilder()
    excellent_group(b)
    complaints(b, "A", 4, decided_on="2025-05-01")
    res = b.classify(tmp_path, 2025, policy=policy)
    assert res.level("A") == "HTTNV"
    assert '"max_upheld": 3' in res.reason("A", "complaints.too_many_upheld")["params"]


def test_high_on_time_rate_earns_the_bonus(tmp_path, policy):
    b = DatasetBuilder()
    b.official("A", task_score=80)
    b.official("B", task_score=80)
    for i in range(30):
        b.dossier("A", due=f"2023-05-{i % 28 + 1:02d}", returned=f"2023-05-{i % 28 + 1:02d}")
        b.dossier("B", due=f"2023-05-{i % 28 + 1:02d}", returned=f"2023-05-{i % 28 + 1:02d}")
    b.late("B", 1)  # 30 of 31 on time: 96.8 % < 98 %
    res = b.classify(tmp_path, 2023, policy=policy)
    assert res.row("A")["score"] == 82
    assert "complaints.on_time_bonus" not in res.rules("B")


def test_the_complaints_file_is_checked_like_a_core_table(tmp_path, policy):
    b = DatasetBuilder()
    b.official("A")
    b.add("complaints", complaint_id="K1", official_id="A", received_on="2023-01-02",
          decided_on="2023-02-30", outcome="dung")
    b.add("complaints", complaint_id="K1", official_id="NOBODY", received_on="2023-01-02",
          outcome="chua_ro")
    with pytest.raises(InvalidInputError) as exc:
        b.classify(tmp_path, 2023, policy=policy)
    text = str(exc.value)
    assert "complaints.csv, dòng 2, cột decided_on: giá trị '2023-02-30'" in text
    assert "complaints.csv, dòng 3, cột outcome: giá trị 'chua_ro'" in text
    assert "complaints.csv, dòng 3, cột complaint_id" in text
    assert "complaints.csv, dòng 3, cột official_id: giá trị 'NOBODY'" in text


def test_the_plugin_is_found_through_its_entry_point(policy):
    plugin = Session.open(policy).registry.plugins["complaints"]
    assert plugin.source.startswith("entry point: xeploai-complaints==0.1.0")
    assert [t.name for t in plugin.info.tables] == ["complaints"]
