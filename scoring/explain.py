"""Why was official X classified Y? Every reason of a stored run, for auditors and appeals."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine

from scoring.errors import UnknownOfficialError
from scoring.export import format_number, reason_objects
from scoring.storage import get_run, load_reasons, load_results
from scoring.types import LEVEL_LABELS_VI, TITLE_LABELS_VI, Level, Title

STEP_VI = {
    "service_time": "Thời gian công tác", "score": "Điểm", "level": "Mức tạm tính",
    "ceiling": "Mức trần", "quota": "Tỷ lệ", "titles": "Danh hiệu", "info": "Ghi chú",
}


def explanation(engine: Engine, official_id: str, run_id: int | None = None) -> dict[str, Any]:
    """The full explanation as a JSON-ready dict."""
    run = get_run(engine, run_id)
    results = load_results(engine, int(run.id))  # type: ignore[arg-type]
    row = results[results["official_id"] == official_id]
    if row.empty:
        raise UnknownOfficialError(f"không có cán bộ {official_id!r} trong lần chạy số {run.id}")
    res = row.iloc[0].to_dict()
    reasons = reason_objects(load_reasons(engine, int(run.id), official_id))  # type: ignore[arg-type]
    return {
        "run": {"id": run.id, "year": run.year, "created_at": run.created_at.isoformat(),
                "policy": run.policy_name, "policy_hash": run.policy_hash,
                "plugins": json.loads(run.plugins), "considered_on": str(run.considered_on),
                "tool_version": run.tool_version},
        "official": {"official_id": res["official_id"], "full_name": res["full_name"],
                     "unit_id": res["unit_id"], "peer_group": res["peer_group"]},
        "task_score": float(res["task_score"]),
        "points": float(res["points"]),
        "score": float(res["score"]),
        "provisional_level": res["provisional_level"],
        "level": res["level"],
        "titles": [t for t in res["titles"].split(";") if t],
        "reasons": reasons.get(official_id, []),
    }


def _evidence_text(evidence: Any) -> str:
    if isinstance(evidence, dict):
        return "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in evidence.items())
    return ", ".join(map(str, evidence))


def render_text(exp: dict[str, Any]) -> str:
    """A plain-language explanation a non-programmer can read."""
    o, run = exp["official"], exp["run"]
    level = exp["level"]
    titles = ", ".join(f"{TITLE_LABELS_VI[Title(t)]} ({t})" for t in exp["titles"]) or "không"
    lines = [
        f"{o['full_name']} ({o['official_id']}) — đơn vị {o['unit_id']}, nhóm {o['peer_group']}",
        f"Năm đánh giá {run['year']} · lần chạy số {run['id']} · chính sách {run['policy']}",
        f"Điểm: {format_number(exp['score'])} (điểm nhiệm vụ {format_number(exp['task_score'])}"
        f", cộng/trừ {format_number(exp['points'])})",
        f"Mức tạm tính: {LEVEL_LABELS_VI[Level(exp['provisional_level'])]} "
        f"({exp['provisional_level']})",
        f"Mức xếp loại: {LEVEL_LABELS_VI[Level(level)]} ({level})",
        f"Danh hiệu: {titles}",
        "",
        "Lý do:",
    ]
    for i, r in enumerate(exp["reasons"], 1):
        lines.append(f"{i:>2}. [{STEP_VI.get(r['step'], r['step'])}] {r['note']}")
        lines.append(f"    quy tắc: {r['rule']}")
        if r["evidence"]:
            lines.append(f"    chứng cứ: {_evidence_text(r['evidence'])}")
        if r["params"]:
            params = ", ".join(f"{k}={v}" for k, v in r["params"].items())
            lines.append(f"    tham số: {params}")
        lines.append(f"    căn cứ: {r['basis']}")
    return "\n".join(lines)
