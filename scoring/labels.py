"""Words instead of codes in the documents a council reads (xlsx, pdf): levels, titles and
peer groups. A peer group is the province's own code; the common ones are named here and a
document settings file may name others (``[peer_groups]``)."""

from __future__ import annotations

from collections.abc import Mapping

from .types import LEVEL_LABELS_VI, TITLE_LABELS_VI, Level, Title

TITLE_ORDER: tuple[Title, ...] = (Title.LDTT, Title.CSTDCS, Title.CCHC)
PEER_GROUP_LABELS_VI: dict[str, str] = {
    "lanh_dao": "Lãnh đạo, quản lý",
    "chuyen_vien": "Chuyên viên",
    "mot_cua": "Bộ phận một cửa",
    "nhan_vien": "Nhân viên",
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
