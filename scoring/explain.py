"""Why was official X classified Y? Every reason of a stored run, for auditors and appeals."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from .assumptions import ASSUMPTION_MARK, reason_assumptions
from .errors import UnknownOfficialError, XeploaiError
from .export import format_number, reason_objects
from .labels import decision_change, peer_group_vi
from .overrides import CouncilView, council_view, meeting_of, meeting_text
from .policy import load_policy
from .signoff import signoff_state
from .storage import get_run, load_reasons
from .suggest import did_you_mean, same_name
from .types import LEVEL_LABELS_VI, TITLE_LABELS_VI, Level, Title

STEP_VI = {
    "service_time": "Thời gian công tác", "score": "Điểm", "level": "Mức tạm tính",
    "ceiling": "Mức trần", "quota": "Tỷ lệ", "titles": "Danh hiệu", "info": "Ghi chú",
}


# What the core's computed quota and title figures mean (the policy file describes the rest)
CORE_PARAM_LABELS: dict[str, str] = {
    "good_count": "Số người đạt Hoàn thành tốt nhiệm vụ trở lên trong nhóm",
    "allowed": "Số Hoàn thành xuất sắc nhiệm vụ được giữ",
    "position": "Thứ tự xếp trong nhóm",
    "cap": "Số Chiến sĩ thi đua cơ sở tối đa của đơn vị",
    "ldtt_count": "Số người đạt Lao động tiên tiến của đơn vị",
}
CORE_SECTIONS: tuple[str, ...] = ("levels", "quota", "titles", "products")
BASE_SCORE_VI = {"task_score": "điểm nhiệm vụ", "products": "điểm theo sản phẩm"}


def _policy_labels(run: Any) -> dict[str, dict[str, str]]:
    """Section -> parameter -> its Vietnamese description, from the run's policy file when
    that file is still there unchanged (same hash); otherwise none (names are shown)."""
    try:
        policy = load_policy(run.policy_path) if run.policy_path else None
    except XeploaiError:
        return {}
    if policy is None or policy.content_hash != run.policy_hash:
        return {}
    return {sec: {name: p.description for name, p in params.items() if p.description}
            for sec, params in policy.sections.items()}


def _labels_for(reason: dict[str, Any], labels: dict[str, dict[str, str]]) -> dict[str, str]:
    sections = CORE_SECTIONS if reason["plugin"] == "core" else (reason["plugin"],)
    known: dict[str, str] = {}
    for sec in sections:
        known |= labels.get(sec, {})
    if reason["plugin"] == "core":
        known |= CORE_PARAM_LABELS
    return {k: known[k] for k in reason["params"] if k in known}


def explanation(engine: Engine, official_id: str, run_id: int | None = None, *,
                view: CouncilView | None = None) -> dict[str, Any]:
    """The full explanation as a JSON-ready dict. ``view``: the run's council view when the
    caller already holds it current (the web workspace keeps one per run), else it is read."""
    run = get_run(engine, run_id)
    if view is None or view.run_id != run.id:
        view = council_view(engine, int(run.id))  # type: ignore[arg-type]
    results = view.results
    row = results[results["official_id"] == official_id]
    if row.empty:
        # "bd0029", " BD0029 " name BD0029 when no other id folds the same way
        official_id = same_name(official_id, results["official_id"]) or official_id
        row = results[results["official_id"] == official_id]
    if row.empty:
        raise UnknownOfficialError(
            f"không có cán bộ {official_id!r} trong lần chạy số {run.id}"
            + did_you_mean(official_id, results["official_id"]))
    res = row.iloc[0].to_dict()
    decisions = view.decisions[view.decisions["official_id"] == official_id]
    labels = _policy_labels(run)
    marks = json.loads(run.assumptions or "{}")
    reasons = reason_objects(load_reasons(engine, int(run.id), official_id))  # type: ignore[arg-type]
    own = reasons.get(official_id, [])
    return {
        "run": {"id": run.id, "year": run.year, "created_at": run.created_at.isoformat(),
                "policy": run.policy_name, "policy_hash": run.policy_hash,
                "plugins": json.loads(run.plugins), "considered_on": str(run.considered_on),
                "tool_version": run.tool_version},
        "official": {"official_id": res["official_id"], "full_name": res["full_name"],
                     "unit_id": res["unit_id"], "peer_group": res["peer_group"]},
        "task_score": float(res["task_score"]),
        # what the score starts from (SPEC §10): the head's task score, or work products
        "score_regime": "products" if any(r["rule"] == "core.products_year" for r in own)
        else "task_score",
        "points": float(res["points"]),
        "score": float(res["score"]),
        "provisional_level": res["provisional_level"],
        "level": res["level"],
        "titles": [t for t in res["titles"].split(";") if t],
        # what the rules gave, before any council decision (the original stays visible)
        "engine_level": res["engine_level"],
        "engine_titles": [t for t in res["engine_titles"].split(";") if t],
        "signoff": signoff_state(engine, int(run.id)).describe(),  # type: ignore[arg-type]
        "overrides": [
            {"id": int(d["id"]), "level": d["level"], "titles": d["titles"],
             "engine_level": d["engine_level"], "engine_titles": d["engine_titles"],
             "reason": d["reason"], "decided_by": d["decided_by"],
             "created_at": pd.Timestamp(d["created_at"]).isoformat(),
             "basis": d["basis"], "against_rules": d["against_rules"],
             "meeting": _meeting_json(d), "meeting_text": meeting_text(d),
             "carried_from": d["carried_from"], "carried_by": d["carried_by"]}
            for d in decisions.to_dict("records")
        ],
        "override_warning": res["flag"],
        "reasons": [r | {"param_labels": _labels_for(r, labels),
                         "assumptions": reason_assumptions(r["plugin"], r["rule"], r["params"],
                                                           marks)}
                    for r in own],
    }


def _meeting_json(decision: dict[str, Any]) -> dict[str, Any] | None:
    meeting = meeting_of(decision)
    if meeting is None:
        return None
    return {"minutes_no": meeting.minutes_no, "held_on": meeting.held_on.isoformat(),
            "votes_for": meeting.votes_for, "votes_against": meeting.votes_against,
            "votes_abstaining": meeting.votes_abstaining}


def evidence_text(evidence: Any) -> str:
    if isinstance(evidence, dict):
        return "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in evidence.items())
    return ", ".join(map(str, evidence))


def value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, list):
        return ", ".join(value_text(v) for v in value) or "(không)"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {value_text(v)}" for k, v in value.items()) or "(không)"
    return str(value)


def _level_text(code: str) -> str:
    return f"{LEVEL_LABELS_VI[Level(code)]} ({code})"


def _titles_text(codes: list[str]) -> str:
    return ", ".join(TITLE_LABELS_VI[Title(t)] for t in codes) or "không"


def render_text(exp: dict[str, Any]) -> str:
    """A plain-language explanation a non-programmer can read."""
    o, run = exp["official"], exp["run"]
    level = exp["level"]
    engine_level = exp.get("engine_level", level)
    engine_titles = exp.get("engine_titles", exp["titles"])
    lines = [
        f"{o['full_name']} ({o['official_id']}) — đơn vị {o['unit_id']}, nhóm "
        f"{peer_group_vi(o['peer_group'])}",
        f"Năm đánh giá {run['year']} · lần chạy số {run['id']} · chính sách {run['policy']}",
        f"Tình trạng: {exp.get('signoff', 'chưa chốt')}",
        "",
        f"Điểm: {format_number(exp['score'])} ("
        f"{BASE_SCORE_VI[exp.get('score_regime', 'task_score')]} "
        f"{format_number(exp['task_score'])}"
        f", cộng/trừ {format_number(exp['points'])})",
        f"Mức tạm tính theo điểm: {_level_text(exp['provisional_level'])}",
    ]
    if level != engine_level:
        lines.append(f"Mức xếp loại: {_level_text(level)} — do Hội đồng điều chỉnh; "
                     f"hệ thống đề xuất {_level_text(engine_level)}")
    else:
        lines.append(f"Mức xếp loại: {_level_text(level)}")
    if exp["titles"] != engine_titles:
        lines.append(f"Danh hiệu: {_titles_text(exp['titles'])} — do Hội đồng điều chỉnh; "
                     f"hệ thống đề xuất: {_titles_text(engine_titles)}")
    else:
        lines.append(f"Danh hiệu: {_titles_text(exp['titles'])}")
    if exp.get("overrides"):
        lines += ["", "Điều chỉnh của Hội đồng:"]
        for d in exp["overrides"]:
            what = decision_change(d["engine_level"], d["level"], d["engine_titles"],
                                   d["titles"])
            lines.append(f"  - quyết định số {d['id']} ({d['created_at'][:10]}), "
                         f"{d['decided_by']}: {what}")
            lines.append(f"    lý do: {d['reason']}")
            lines.append(f"    cuộc họp: {d.get('meeting_text', '')}")
            if d.get("against_rules"):
                lines.append(f"    ⚠ trái quy định, ghi theo văn bản {d['basis']}:")
                lines += [f"      · {line}" for line in str(d["against_rules"]).splitlines()]
            if d.get("carried_from") is not None:
                lines.append(f"    (mang sang từ quyết định số {d['carried_from']} bởi "
                             f"{d['carried_by']})")
        if exp.get("override_warning"):
            lines.append(f"  ⚠ Cảnh báo: {exp['override_warning']}")
    lines += ["", "Lý do (theo thứ tự xét):"]
    for i, r in enumerate(exp["reasons"], 1):
        lines.append(f"{i:>2}. [{STEP_VI.get(r['step'], r['step'])}] {r['note']}")
        if r["evidence"]:
            lines.append(f"    chứng cứ: {evidence_text(r['evidence'])}")
        if r["params"]:
            names = r.get("param_labels", {})
            lines.append("    tham số áp dụng:")
            for k, v in r["params"].items():
                label = f"{names[k]} ({k})" if k in names else k
                lines.append(f"      · {label}: {value_text(v)}")
        lines.append(f"    căn cứ: {r['basis']}")
        for item in r.get("assumptions", []):
            lines.append(f"    ⚠ {ASSUMPTION_MARK} {item['text']} ({item['reference']})")
        lines.append(f"    (mã quy tắc: {r['rule']})")
    return "\n".join(lines)
