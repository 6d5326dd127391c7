"""A council decision checked against the reasons behind the result (SPEC §8).

The rules that bound a result are the plugins' findings: a ceiling (KHTNV for discipline,
HTNV for the leave cap or the repeat offence, any plugin's), an exclusion (KXL for service
time: no level, no title) and blocked titles. A decision that raises a level above such a
bound, or grants a title such a rule blocked, goes *against a rule*: refused unless it cites
the document that lifts the rule (``basis``). The core's own shares (the 20 % quota and the
15 % CSTDCS cap) are not rules a decision goes against: breaking them is flagged, not
refused (:func:`xeploai.scoring.overrides.quota_flags`). Nothing here knows a rule by name:
it reads the reasons' effect columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .types import CODE_RANK, Level

CORE_PLUGIN = "core"  # the engine's own reasons (shares, summaries): never a bound here


@dataclass(frozen=True)
class RuleConflict:
    """One rule a decision goes against: which, what it set, and why (the reason's note)."""

    rule: str
    plugin: str
    effect: str  # "ceiling", "exclude" or "title"
    bound: str  # the ceiling level, "KXL", or the blocked title code
    note: str
    basis: str

    @property
    def text(self) -> str:
        """One Vietnamese line naming the rule, what it sets and its legal basis."""
        if self.effect == "exclude":
            what = "không xếp loại, không xét danh hiệu (KXL)"
        elif self.effect == "ceiling":
            what = f"mức trần {self.bound}"
        else:
            what = f"không được danh hiệu {self.bound}"
        return f"{what} theo quy tắc {self.rule} — {self.note} (căn cứ: {self.basis})"


def rule_conflicts(reasons: pd.DataFrame, level: str | None,
                   titles: str | None) -> list[RuleConflict]:
    """The plugin rules among ``reasons`` (one official's) that giving ``level`` and/or
    ``titles`` (';'-joined codes; None = not decided) would go against, in reason order."""
    found: list[RuleConflict] = []
    bounds = reasons[reasons["plugin"] != CORE_PLUGIN]
    wanted = [t for t in (titles or "").split(";") if t]
    for rec in bounds.to_dict("records"):
        args = (str(rec["rule"]), str(rec["plugin"]))
        tail = (str(rec["note"]), str(rec["basis"]))
        excluded = bool(rec["exclude"])
        if excluded and ((level is not None and level != Level.KXL.value) or wanted):
            found.append(RuleConflict(*args, "exclude", Level.KXL.value, *tail))
            continue
        ceiling = str(rec["ceiling"] or "")
        if level is not None and ceiling and level != Level.KXL.value \
                and CODE_RANK[level] > CODE_RANK[ceiling]:
            found.append(RuleConflict(*args, "ceiling", ceiling, *tail))
        blocked = {t for t in str(rec["blocks_titles"] or "").split(";") if t}
        found += [RuleConflict(*args, "title", t, *tail) for t in wanted if t in blocked]
    return found


def conflicts_text(conflicts: list[RuleConflict]) -> str:
    """The conflicts as one line each (stored with the decision, shown everywhere)."""
    return "\n".join(c.text for c in conflicts)
