"""Recognised initiatives and research (sáng kiến, đề tài): bonus points from the best level
recognised in the year, and the facts the CSTDCS and CCHC titles need."""

from __future__ import annotations

import pandas as pd
from xeploai.scoring import hookimpl
from xeploai.scoring.frames import is_in, lists_by, number_texts
from xeploai.scoring.policy import Params
from xeploai.scoring.types import PluginInfo, Rule, RuleContext, Step, findings_frame

NAME = "innovation"
VERSION = "1.0.0"

RULES = (
    Rule(f"{NAME}.points", "Điểm thưởng sáng kiến, đề tài (mức cao nhất, một lần)",
         "Luật Thi đua, khen thưởng; điểm cộng theo cấp công nhận", Step.SCORE,
         assumption=True),
    Rule(f"{NAME}.cstdcs", "Có sáng kiến hoặc đề tài được công nhận trong năm (xét CSTĐCS)",
         "Luật Thi đua, khen thưởng 06/2022/QH15, Điều 21; Nghị định 91/2017/NĐ-CP, Điều 9",
         Step.TITLES),
    Rule(f"{NAME}.cchc", "Sáng kiến phục vụ cải cách hành chính (đề nghị khen thưởng CCHC)",
         "QĐ 4510/QĐ-UBND ngày 29/12/2022 của UBND tỉnh Bình Định", Step.TITLES),
)
LEVEL_VI = {"co_so": "cấp cơ sở", "tinh": "cấp tỉnh", "toan_quoc": "toàn quốc"}
KIND_VI = {"sang_kien": "sáng kiến", "de_tai": "đề tài"}


class InnovationParams(Params):
    points_by_level: dict[str, float]
    cstdcs_kinds: list[str]


def _evidence(frame: pd.DataFrame) -> pd.Series:
    """Per official, the list of "award (document)" in the frame's order."""
    items = frame["award_id"].astype(str) + " (" + frame["document_no"].astype(str) + ")"
    return lists_by(items, frame["official_id"])


@hookimpl
def xeploai_plugin_info() -> PluginInfo:
    return PluginInfo(NAME, VERSION, RULES, InnovationParams,
                      description="Sáng kiến, đề tài được công nhận trong năm")


@hookimpl
def xeploai_findings(context: RuleContext) -> pd.DataFrame:
    params: InnovationParams = context.params_of(NAME)
    innovations = context.tables["innovations"]
    innovations = innovations[innovations["recognized_on"].dt.year == context.year].sort_values(
        ["official_id", "recognized_on", "award_id"], kind="mergesort")
    if innovations.empty:
        return findings_frame()
    innovations = innovations.assign(
        pts=innovations["level"].map(params.points_by_level).fillna(0.0))
    frames = []
    best = innovations.sort_values(["official_id", "pts", "award_id"],
                                   ascending=[True, False, True],
                                   kind="mergesort").groupby("official_id", sort=True).first()
    best = best[best["pts"] > 0]
    if len(best):
        frames.append(findings_frame(
            pd.DataFrame({"official_id": best.index.to_numpy(), "points": best["pts"].to_numpy(),
                          "evidence": _evidence(
                              innovations[is_in(innovations["official_id"],
                                                pd.Series(best.index))])
                          .reindex(best.index).to_numpy()}),
            rule=f"{NAME}.points",
            params={"points_by_level": params.points_by_level},
            note=("Cộng " + number_texts(best["pts"]) + " điểm: "
                  + best["kind"].map(KIND_VI) + " " + best["level"].map(LEVEL_VI) + " \""
                  + best["title"] + "\" (chỉ tính mức cao nhất, một lần)").to_numpy()))
    cst = innovations[innovations["kind"].isin(params.cstdcs_kinds)]
    if len(cst):
        ev = _evidence(cst)
        frames.append(findings_frame(
            pd.DataFrame({"official_id": ev.index.to_numpy(), "evidence": ev.to_numpy()}),
            rule=f"{NAME}.cstdcs", qualifies_titles="CSTDCS",
            params={"cstdcs_kinds": params.cstdcs_kinds},
            note=f"Có sáng kiến/đề tài được công nhận năm {context.year}: đủ điều kiện "
                 "xét Chiến sĩ thi đua cơ sở"))
    cchc = innovations[innovations["cchc"].astype(bool)]
    if len(cchc):
        ev = _evidence(cchc)
        frames.append(findings_frame(
            pd.DataFrame({"official_id": ev.index.to_numpy(), "evidence": ev.to_numpy()}),
            rule=f"{NAME}.cchc", qualifies_titles="CCHC", params={},
            note="Sáng kiến phục vụ cải cách hành chính: đủ điều kiện đề nghị khen thưởng"
                 " đổi mới, sáng tạo trong CCHC"))
    return pd.concat(frames, ignore_index=True) if frames else findings_frame()
