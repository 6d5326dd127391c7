"""Late administrative-procedure dossiers (hồ sơ TTHC trễ hạn) and the Bình Định repeat rule.

A dossier belongs to the year of its ``due_at``. It is late when returned on a later
calendar date than due, or still open at the end of the year. Only late dossiers whose
cause is the handler's (``chu_quan`` or blank) count; software and objective causes are
shown as excluded. Bình Định's 2023 plan (QĐ 4510/QĐ-UBND of 29/12/2022) bars "good" for
officials reminded about late dossiers in 2022 who keep being late "many times" in 2023.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field
from xeploai.scoring import hookimpl
from xeploai.scoring.frames import (
    is_in,
    join_groups,
    json_lists,
    lists_by,
    number_text,
    number_texts,
)
from xeploai.scoring.lateness import due_and_late
from xeploai.scoring.policy import Params
from xeploai.scoring.types import PluginInfo, Rule, RuleContext, Step, findings_frame

NAME = "late_dossiers"
VERSION = "1.0.0"

RULES = (
    Rule(f"{NAME}.late", "Hồ sơ trễ hạn do chủ quan",
         "Kế hoạch CCHC các tỉnh (Cà Mau 2020, Nghệ An QĐ 4879/QĐ-UBND, Đồng Tháp 2020)",
         Step.SCORE),
    Rule(f"{NAME}.no_apology", "Hồ sơ trễ hạn không có phiếu xin lỗi",
         "Nghị định 61/2018/NĐ-CP, Điều 19 (sửa bởi Nghị định 107/2021/NĐ-CP)", Step.SCORE),
    Rule(f"{NAME}.excluded", "Hồ sơ trễ hạn không tính (lỗi phần mềm, khách quan)",
         "Chỉ đạo của Chủ tịch UBND tỉnh Đồng Tháp (2020): lỗi phần mềm chuyển Sở TT&TT",
         Step.SCORE),
    Rule(f"{NAME}.repeat_offence",
         "Đã bị nhắc nhở về trễ hạn năm trước, tiếp tục trễ hạn nhiều lần",
         "QĐ 4510/QĐ-UBND ngày 29/12/2022 của UBND tỉnh Bình Định (Kế hoạch CCHC 2023)",
         Step.CEILING),
)


class LateDossiersParams(Params):
    points_per_late: float = Field(ge=0)
    points_per_no_apology: float = Field(ge=0)
    max_deduction: float = Field(ge=0)
    counted_causes: list[str]
    repeat_in_force: bool
    repeat_threshold: int = Field(ge=1)
    repeat_reminder_subject: str
    repeat_reminder_years_before: int = Field(ge=0)
    repeat_ceiling: str


def late_dossier_table(context: RuleContext, params: LateDossiersParams) -> pd.DataFrame:
    """The year's late dossiers, with a ``counted`` flag (the handler's fault)."""
    dossiers = context.tables["dossiers"]
    late = due_and_late(dossiers, context.year, context.as_of)[1]
    # chosen, then ordered by handler and dossier id (every evidence list below is then in
    # id order) as one Arrow table: the text columns are Arrow's already, and two pandas
    # takes of a province's 2,000,000 dossiers cost more than the filter and the sort
    columns = dossiers[["dossier_id", "handler_id", "late_cause", "apology_issued"]]
    chosen = pa.Table.from_pandas(columns, preserve_index=False).filter(pa.array(late))
    # the handler as its place among the distinct handlers (in text order, none last):
    # the two-key sort then compares texts only between one handler's dossiers
    handlers = pc.dictionary_encode(chosen["handler_id"]).combine_chunks()
    place = pc.rank(handlers.dictionary, sort_keys="ascending").take(handlers.indices)
    order = pc.sort_indices(pa.table({"handler": place, "dossier_id": chosen["dossier_id"]}),
                            [("handler", "ascending"), ("dossier_id", "ascending")])
    out = chosen.take(order).to_pandas()
    cause = out["late_cause"].fillna("")
    # a blank cause is the handler's until someone records otherwise (SPEC §3)
    out["counted"] = (cause == "") | cause.isin(params.counted_causes)
    return out


@hookimpl
def xeploai_plugin_info() -> PluginInfo:
    return PluginInfo(NAME, VERSION, RULES, LateDossiersParams,
                      description="Hồ sơ TTHC trễ hạn, phiếu xin lỗi, tái phạm sau nhắc nhở")


@hookimpl
def xeploai_findings(context: RuleContext) -> pd.DataFrame:
    params: LateDossiersParams = context.params_of(NAME)
    late = late_dossier_table(context, params)
    counted = late[late["counted"]]
    excluded = late[~late["counted"]]
    frames = []

    # points: −1 per counted late dossier, −1 more without apology; capped together
    n_late = counted.groupby("handler_id").size()
    noap = counted[~counted["apology_issued"].astype(bool)]
    n_noap = noap.groupby("handler_id").size().reindex(n_late.index, fill_value=0)
    raw_late = -params.points_per_late * n_late
    raw_noap = -params.points_per_no_apology * n_noap
    applied_late = np.maximum(raw_late, -params.max_deduction)
    applied_noap = np.maximum(raw_noap, -params.max_deduction - applied_late)
    used_params = {"points_per_late": params.points_per_late,
              "points_per_no_apology": params.points_per_no_apology,
              "max_deduction": params.max_deduction, "counted_causes": params.counted_causes}
    # each official's counted dossiers, the evidence of the points: a JSON list written
    # by Arrow (typed lists of a province's dossier ids cost ten times more)
    if len(n_late):
        ev = json_lists(counted["dossier_id"], counted["handler_id"]).reindex(n_late.index)
        capped = applied_late != raw_late
        frames.append(findings_frame(
            pd.DataFrame({"official_id": n_late.index.to_numpy(),
                          "points": applied_late.to_numpy(), "evidence": ev.to_numpy()}),
            rule=f"{NAME}.late", params=used_params,
            note=(n_late.astype(str) + f" hồ sơ trễ hạn do chủ quan năm {context.year}: "
                  + number_texts(applied_late) + " điểm"
                  + np.where(capped, " (đã áp giới hạn trừ tối đa "
                             + number_text(params.max_deduction) + " điểm)", "")).to_numpy()))
    has_noap = n_noap > 0
    if has_noap.any():
        ev = json_lists(noap["dossier_id"], noap["handler_id"]).reindex(n_late.index)
        capped = applied_noap != raw_noap
        frames.append(findings_frame(
            pd.DataFrame({"official_id": n_late.index[has_noap].to_numpy(),
                          "points": applied_noap[has_noap].to_numpy(),
                          "evidence": ev[has_noap].to_numpy()}),
            rule=f"{NAME}.no_apology", params=used_params,
            note=(n_noap[has_noap].astype(str) + " hồ sơ trễ hạn không có phiếu xin lỗi: "
                  + number_texts(applied_noap[has_noap]) + " điểm"
                  + np.where(capped[has_noap], " (trừ " + number_texts(raw_noap[has_noap])
                             + ", cắt bớt do giới hạn tổng "
                             + number_text(params.max_deduction) + " điểm)",
                             "")).to_numpy()))
    if len(excluded):
        per_cause = excluded.groupby(["handler_id", "late_cause"], sort=True).size()
        by_cause = join_groups(
            pd.Series(per_cause.index.get_level_values(1).astype(str) + ": "
                      + per_cause.astype(str).to_numpy()),
            pd.Series(per_cause.index.get_level_values(0)), ", ")
        ev = json_lists(excluded["dossier_id"], excluded["handler_id"]) \
            .reindex(by_cause.index)
        n_ex = excluded.groupby("handler_id").size().reindex(by_cause.index)
        frames.append(findings_frame(
            pd.DataFrame({"official_id": by_cause.index.to_numpy(), "evidence": ev.to_numpy()}),
            rule=f"{NAME}.excluded", params={"counted_causes": params.counted_causes},
            note=(n_ex.astype(str) + " hồ sơ trễ hạn không tính vào cán bộ xử lý ("
                  + by_cause + ")").to_numpy()))

    # repeat offence: a late-dossier reminder issued exactly N years before, and many late
    rem = context.tables["reminders"]
    target_year = context.year - params.repeat_reminder_years_before
    rem = rem[(rem["subject"] == params.repeat_reminder_subject)
              & (rem["issued_on"].dt.year == target_year)]
    repeat = n_late[n_late >= params.repeat_threshold] if params.repeat_in_force \
        else n_late.iloc[:0]
    repeat = repeat[is_in(pd.Series(repeat.index), rem["official_id"])]
    if len(repeat):
        rem = rem[is_in(rem["official_id"], pd.Series(repeat.index))].sort_values(
            ["official_id", "issued_on", "document_no"], kind="mergesort")
        docs = lists_by(rem["document_no"], rem["official_id"]).reindex(repeat.index)
        # the repeat offenders' counted dossiers, as typed lists (a few hundred officials)
        theirs = counted[is_in(counted["handler_id"], pd.Series(repeat.index))]
        counted_lists = lists_by(theirs["dossier_id"], theirs["handler_id"])
        dates = join_groups(rem["issued_on"].dt.strftime("%d/%m/%Y"), rem["official_id"], ", ")
        evidence = [{"reminders": reminders, "dossiers": dossiers} for reminders, dossiers
                    in zip(docs.tolist(), counted_lists.reindex(repeat.index).tolist(),
                           strict=True)]
        repeat_params = {"repeat_threshold": params.repeat_threshold,
                   "repeat_reminder_subject": params.repeat_reminder_subject,
                   "reminder_year": target_year, "repeat_ceiling": params.repeat_ceiling}
        frames.append(findings_frame(
            pd.DataFrame({"official_id": repeat.index.to_numpy(), "evidence": evidence}),
            rule=f"{NAME}.repeat_offence", ceiling=params.repeat_ceiling, params=repeat_params,
            note=("Đã bị nhắc nhở về trễ hạn năm " + str(target_year) + " (văn bản "
                  + join_groups(rem["document_no"], rem["official_id"], ", ")
                  .reindex(repeat.index) + " ngày "
                  + dates.reindex(repeat.index) + "), năm " + str(context.year)
                  + " tiếp tục có " + repeat.astype(str) + " hồ sơ trễ hạn (từ "
                  + str(params.repeat_threshold) + " trở lên) → không xếp loại Hoàn thành tốt"
                  " nhiệm vụ trở lên; tối đa " + params.repeat_ceiling).to_numpy()))
    return pd.concat(frames, ignore_index=True) if frames else findings_frame()
