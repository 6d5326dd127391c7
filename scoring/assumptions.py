"""Project assumptions made visible where decisions are made (SPEC §5, §8).

A run records, from its policy and its plugins, which parameters and rules are project
assumptions (no legal text fixes them). Every output that shows a reason — ``explain`` in
text and JSON, the xlsx and the pdf — asks :func:`reason_assumptions` which of them that
reason rests on, so BD0029's HTNV cap says it rests on ``repeat_threshold = 3``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .errors import PolicyError
from .policy import CORE_SECTIONS, Policy, read_date
from .types import Rule

CORE_PLUGIN = "core"
ASSUMPTION_MARK = "[giả định]"


def run_assumptions(policy: Policy, rules: Iterable[Rule], year: int) -> dict[str, Any]:
    """What of ``policy`` (read for ``year``) and ``rules`` is a project assumption, as stored
    with the run: ``{"parameters": {"section.name": {"value", "reference"}},
    "rules": {rule_id: basis}}``."""
    parameters: dict[str, dict[str, Any]] = {}
    for section, params in sorted(policy.sections.items()):
        for _, param in sorted(params.items()):
            if not param.assumption:
                continue
            try:
                value = param.at(read_date(policy, section, year))
            except PolicyError:
                continue  # not in force for this year: nothing rests on it
            parameters[param.key] = {"value": value, "reference": param.reference}
    return {"parameters": parameters,
            "rules": {r.id: r.basis for r in sorted(rules, key=lambda r: r.id) if r.assumption}}


def run_assumptions_json(policy: Policy, rules: Iterable[Rule], year: int) -> str:
    return json.dumps(run_assumptions(policy, rules, year), ensure_ascii=False,
                      sort_keys=True, default=str)


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                           default=str)


def reason_assumptions(plugin: str, rule: str, params: Mapping[str, Any] | Iterable[str],
                       assumptions: Mapping[str, Any]) -> list[dict[str, str]]:
    """The assumptions one reason rests on: its rule, and each parameter it used that the
    run's policy marks as an assumption (a plugin's own section; the core's three sections
    for the core's reasons). Each item: ``{"what", "value", "reference", "text"}``."""
    out: list[dict[str, str]] = []
    rule_basis = assumptions.get("rules", {}).get(rule)
    if rule_basis is not None:
        out.append({"what": rule, "value": "", "reference": rule_basis,
                    "text": f"quy tắc {rule} là giả định của dự án ({rule_basis})"})
    sections = CORE_SECTIONS if plugin == CORE_PLUGIN else {plugin}
    marked = assumptions.get("parameters", {})
    for name in params:
        for section in sorted(sections):
            entry = marked.get(f"{section}.{name}")
            if entry is None:
                continue
            value = _value_text(entry["value"])
            out.append({"what": f"{section}.{name}", "value": value,
                        "reference": entry["reference"],
                        "text": f"{section}.{name} = {value} là giả định của dự án"})
    return out


def assumption_note(items: list[dict[str, str]]) -> str:
    """One line for a reason's assumptions (empty when none), as xlsx and pdf print it."""
    if not items:
        return ""
    return f"{ASSUMPTION_MARK} " + "; ".join(i["text"] for i in items)


def marked_reason_notes(reasons: pd.DataFrame, marks: Mapping[str, Any]
                  ) -> tuple[dict[str, list[str]], dict[str, list[dict[str, str]]]]:
    """Per official: each reason's sentence (with "[giả định]" when it rests on a project
    assumption) and the assumptions themselves. Marks are worked out once per distinct
    (plugin, rule, params), not once per reason. ``reasons`` has REASON_COLUMNS."""
    keys = reasons[["plugin", "rule", "params"]].drop_duplicates()
    per_key = {(p, r, q): reason_assumptions(p, r, json.loads(q or "{}"), marks)
               for p, r, q in keys.itertuples(index=False)}
    found = [per_key[k] for k in zip(reasons["plugin"], reasons["rule"], reasons["params"],
                                     strict=True)]
    notes = [n + (f" {ASSUMPTION_MARK}" if f else "") for n, f in zip(reasons["note"], found,
                                                               strict=True)]
    texts: dict[str, list[str]] = {}
    items: dict[str, list[dict[str, str]]] = {}
    for oid, note, marked in zip(reasons["official_id"], notes, found, strict=True):
        texts.setdefault(oid, []).append(note)
        if marked:
            items.setdefault(oid, []).extend(marked)
    return texts, items


def officials_with_assumptions(reasons: pd.DataFrame, assumptions: Mapping[str, Any]
                               ) -> set[str]:
    """The officials with at least one reason resting on a project assumption (the run's
    ``assumptions``, as stored in ``runs.assumptions``): for a filter or a badge."""
    # asked once per distinct (plugin, rule, params), then joined back: no per-reason loop
    # (a province has ≈ 120,000 reasons and a few hundred distinct keys)
    key = ["plugin", "rule", "params"]
    keys = reasons[key].drop_duplicates()
    rests = [bool(reason_assumptions(p, r, json.loads(q or "{}"), assumptions))
             for p, r, q in keys.itertuples(index=False)]
    marked = reasons[["official_id", *key]].merge(keys[rests], on=key)
    return set(marked["official_id"])
