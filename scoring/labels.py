"""Words instead of codes in the documents a council reads (xlsx, pdf): levels, titles and
peer groups. A peer group is the province's own code; the common ones are named here and a
document settings file may name others (``[peer_groups]``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .types import LEVEL_LABELS_VI, TITLE_LABELS_VI, Level, Title

TITLE_ORDER: tuple[Title, ...] = (Title.LDTT, Title.CSTDCS, Title.CCHC)
PEER_GROUP_LABELS_VI: dict[str, str] = {
    "lanh_dao": "Lãnh đạo, quản lý",
    "chuyen_vien": "Chuyên viên",
    "mot_cua": "Bộ phận một cửa",
    "nhan_vien": "Nhân viên",
    # groups by kind of staff, as the 2026 sample (Gia Lai) sets them
    "can_bo": "Cán bộ",
    "cong_chuc": "Công chức",
    "vien_chuc": "Viên chức",
}


def level_vi(code: str) -> str:
    return LEVEL_LABELS_VI[Level(code)] if code else ""


def titles_vi(codes: str) -> str:
    """'CSTDCS;LDTT' → 'Lao động tiên tiến; Chiến sĩ thi đua cơ sở' (the law's order)."""
    have = {c for c in str(codes).split(";") if c}
    return "; ".join(TITLE_LABELS_VI[t] for t in TITLE_ORDER if t.value in have)


def peer_group_vi(code: str, extra: Mapping[str, str] | None = None) -> str:
    """A peer group's name: from ``extra`` (settings), the common names, else the code with
    its underscores as spaces (never silently dropped)."""
    names = {**PEER_GROUP_LABELS_VI, **(extra or {})}
    return names.get(code, str(code).replace("_", " "))


def decision_change(engine_level: str, level: str | None, engine_titles: str,
                    titles: str | None, *, words: bool = False) -> str:
    """What a council decision changed, the one wording every output uses:
    ``"mức HTNV → HTTNV; danh hiệu không → LDTT"``. ``None`` for what it left alone; codes
    for the terminal and ``explain``, the law's words (``words=True``) for the documents."""
    name_level = level_vi if words else str
    name_titles = titles_vi if words else str
    what = []
    if level is not None:
        what.append(f"mức {name_level(engine_level)} → {name_level(level)}")
    if titles is not None:
        what.append(f"danh hiệu {name_titles(engine_titles) or 'không'} → "
                    f"{name_titles(titles) or 'không'}")
    return "; ".join(what)


def decision_text(row: Mapping[str, Any]) -> str:
    """A council decision on one result row, as the council's documents (xlsx, pdf) print
    it: the change in words, the reason, who decided, the meeting and any basis for going
    against the rules; ``""`` for a row the council did not decide on."""
    if not row["override_reason"]:
        return ""
    change = decision_change(
        row["engine_level"], row["level"] if row["level"] != row["engine_level"] else None,
        row["engine_titles"], row["titles"] if row["titles"] != row["engine_titles"] else None,
        words=True)
    parts = [change[:1].upper() + change[1:] + "."] if change else []
    parts += [f"Lý do: {row['override_reason']}.", f"Người quyết định: {row['override_by']}.",
              f"Cuộc họp: {row['override_meeting']}."]
    if row["override_basis"]:
        parts.append(f"Văn bản cho phép: {row['override_basis']}.")
    return " ".join(parts)
