"""Disciplinary decisions (quyết định kỷ luật): a decision taking effect in the year caps the
level at KHTNV and rules out every title — counted once, in one year only (Decree 48/2023)."""

from __future__ import annotations

import pandas as pd
from xeploai.scoring import hookimpl
from xeploai.scoring.frames import lists_by
from xeploai.scoring.policy import Params
from xeploai.scoring.types import PluginInfo, Rule, RuleContext, Step, findings_frame

NAME = "discipline"
VERSION = "1.0.0"

BASIS = "Nghị định 90/2020/NĐ-CP sửa đổi bởi Nghị định 48/2023/NĐ-CP; Nghị định 112/2020/NĐ-CP"
RULES = (
    Rule(f"{NAME}.counted", "Bị kỷ luật trong năm", BASIS, Step.CEILING),
    Rule(f"{NAME}.not_counted", "Quyết định kỷ luật không tính vào năm đánh giá",
         "Nghị định 48/2023/NĐ-CP (không tính hai lần một hành vi vi phạm)", Step.INFO),
)

FORM_VI = {
    "khien_trach": "khiển trách", "canh_cao": "cảnh cáo", "ha_bac_luong": "hạ bậc lương",
    "giang_chuc": "giáng chức", "cach_chuc": "cách chức", "buoc_thoi_viec": "buộc thôi việc",
}


class DisciplineParams(Params):
    ceiling: str
    blocks_titles: list[str]


@hookimpl
def xeploai_plugin_info() -> PluginInfo:
    return PluginInfo(NAME, VERSION, RULES, DisciplineParams,
                      description="Kỷ luật có hiệu lực trong năm (tính một lần cho một hành vi)")


@hookimpl
def xeploai_findings(context: RuleContext) -> pd.DataFrame:
    params: DisciplineParams = context.params_of(NAME)
    decisions = context.tables["discipline"].copy()
    if decisions.empty:
        return findings_frame()
    year = context.year
    decisions["violation_key"] = decisions["violation_id"].fillna(decisions["decision_id"])
    decisions["year_in_force"] = decisions["decided_on"].dt.year
    first = decisions.groupby(["official_id", "violation_key"])["year_in_force"].transform("min")
    in_year = decisions["year_in_force"] == year
    counted_elsewhere = decisions["counted_in_year"].notna() \
        & (decisions["counted_in_year"] != year)
    counted_earlier = first < year
    decisions["counted"] = in_year & ~counted_elsewhere.fillna(False).astype(bool) \
        & ~counted_earlier
    decisions = decisions[in_year].sort_values(["official_id", "decided_on", "decision_id"],
                                               kind="mergesort")
    decisions["label"] = (decisions["form"].map(FORM_VI) + " (" + decisions["authority"].map(
        {"dang": "Đảng", "chinh_quyen": "chính quyền"}) + ") số " + decisions["document_no"]
        + " ngày " + decisions["decided_on"].dt.strftime("%d/%m/%Y"))
    frames = []
    counted = decisions[decisions["counted"]]
    if len(counted):
        by_official = counted.groupby("official_id", sort=True)
        labels = by_official["label"].agg("; ".join)
        evidence = lists_by(counted["document_no"], counted["official_id"])
        n_acts = by_official["violation_key"].nunique()
        n_dec = by_official.size()
        once = (n_dec > n_acts).map({True: " — các quyết định về cùng một hành vi chỉ tính một"
                                           " lần", False: ""})
        frames.append(findings_frame(
            pd.DataFrame({"official_id": labels.index.to_numpy(),
                          "evidence": evidence.to_numpy()}),
            rule=f"{NAME}.counted", ceiling=params.ceiling,
            blocks_titles=";".join(params.blocks_titles),
            params={"ceiling": params.ceiling, "blocks_titles": params.blocks_titles, "year": year},
            note=("Bị kỷ luật " + labels + once + f" → tối đa {params.ceiling}, không xét danh hiệu"
                  f" năm {year}").to_numpy()))
    skipped = decisions[~decisions["counted"]].copy()
    if len(skipped):
        elsewhere = skipped["counted_in_year"].notna() & (skipped["counted_in_year"] != year)
        earlier = context.tables["discipline"].assign(
            violation_key=lambda rows: rows["violation_id"].fillna(rows["decision_id"]),
            year_in_force=lambda rows: rows["decided_on"].dt.year)
        earlier = earlier[earlier["year_in_force"] < year].sort_values(
            ["decided_on", "decision_id"], kind="mergesort")
        prior = earlier.groupby(["official_id", "violation_key"])["document_no"].first()
        prior_year = earlier.groupby(["official_id", "violation_key"])["year_in_force"].first()
        keys = pd.MultiIndex.from_arrays([skipped["official_id"], skipped["violation_key"]])
        prior_doc = pd.Series(prior.reindex(keys).to_numpy(), index=skipped.index)
        prior_y = pd.Series(prior_year.reindex(keys).to_numpy(), index=skipped.index)
        why = pd.Series("", index=skipped.index, dtype=object)
        why = why.mask(prior_doc.notna(), "cùng hành vi vi phạm với quyết định số "
                       + prior_doc.fillna("").astype(str) + " đã có hiệu lực năm "
                       + prior_y.fillna(0).astype(int).astype(str))
        why = why.mask(elsewhere & (why == ""), "hành vi này đã được dùng để xếp loại KHTNV "
                       "năm " + skipped["counted_in_year"].astype(str))
        frames.append(findings_frame(
            pd.DataFrame({"official_id": skipped["official_id"].to_numpy(),
                          "evidence": [[doc] for doc in skipped["document_no"]]}),
            rule=f"{NAME}.not_counted", params={"year": year},
            note=("Quyết định kỷ luật " + skipped["label"] + " không tính vào năm " + str(year)
                  + ": " + why).to_numpy()))
    return pd.concat(frames, ignore_index=True) if frames else findings_frame()
