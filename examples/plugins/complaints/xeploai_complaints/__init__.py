"""Citizen complaints and on-time dossiers: a province's own rules, as a xeploai plugin.

Two local rules of a (fictional) province, the worked example of docs/plugins.md:

* an official with more than ``max_upheld`` citizen complaints (khiếu nại) decided as
  upheld in the evaluation year cannot be rated excellent (ceiling ``HTTNV``);
* an official who handled at least ``on_time_min_dossiers`` dossiers due in the year and
  returned at least ``on_time_rate`` of them on time gets ``on_time_points`` bonus points.

The complaints come from an extra input file, ``complaints.csv``, declared below with its
row model; the loader checks it like the core tables.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field
from xeploai.scoring import hookimpl
from xeploai.scoring.policy import Params
from xeploai.scoring.types import PluginInfo, Rule, RuleContext, Step, TableSpec, findings_frame

NAME = "complaints"
VERSION = "0.1.0"
Outcome = Literal["dung", "dung_mot_phan", "sai"]  # upheld, partly upheld, rejected


class Complaint(BaseModel):
    """One row of complaints.csv: a citizen complaint about an official's handling."""

    complaint_id: str = Field(min_length=1, json_schema_extra={"key": True})
    official_id: str = Field(json_schema_extra={"ref": "officials"})
    received_on: dt.date
    decided_on: dt.date | None = None  # blank: not decided yet
    outcome: Outcome | None = None  # blank: not decided yet
    document_no: str | None = None  # the decision settling the complaint


class ComplaintsParams(Params):
    max_upheld: int = Field(ge=0)
    upheld_outcomes: list[Outcome]
    ceiling: Literal["HTTNV", "HTNV", "KHTNV"]
    on_time_min_dossiers: int = Field(ge=1)
    on_time_rate: float = Field(gt=0, le=1)
    on_time_points: float = Field(ge=0)


RULES = (
    Rule(f"{NAME}.too_many_upheld", "Nhiều khiếu nại của công dân được kết luận là đúng",
         "Luật Khiếu nại 02/2011/QH13 (kết luận nội dung khiếu nại); ngưỡng và mức trần "
         "là quy định riêng của tỉnh", Step.CEILING, assumption=True),
    Rule(f"{NAME}.on_time_bonus", "Tỷ lệ hồ sơ trả kết quả đúng hạn cao",
         "Nghị định 61/2018/NĐ-CP (trả kết quả đúng hẹn); điểm thưởng là quy định riêng "
         "của tỉnh", Step.SCORE, assumption=True),
)


@hookimpl
def xeploai_plugin_info() -> PluginInfo:
    return PluginInfo(NAME, VERSION, RULES, ComplaintsParams,
                      tables=(TableSpec("complaints", Complaint),),
                      description="Khiếu nại được kết luận đúng; thưởng trả hồ sơ đúng hạn")


@hookimpl
def xeploai_findings(context: RuleContext) -> pd.DataFrame:
    p: ComplaintsParams = context.params_of(NAME)
    return pd.concat([too_many_upheld(context, p), on_time_bonus(context, p)],
                     ignore_index=True)


def too_many_upheld(context: RuleContext, p: ComplaintsParams) -> pd.DataFrame:
    c = context.tables["complaints"]
    c = c[(c["decided_on"].dt.year == context.year) & c["outcome"].isin(p.upheld_outcomes)]
    c = c.sort_values(["official_id", "complaint_id"])
    per_official = c.groupby("official_id")["complaint_id"].agg(list)
    over = per_official[per_official.map(len) > p.max_upheld]
    if over.empty:
        return findings_frame()
    return findings_frame(
        pd.DataFrame({"official_id": over.index,
                      "evidence": over.map(json.dumps).to_numpy()}),
        rule=f"{NAME}.too_many_upheld", ceiling=p.ceiling,
        params=json.dumps({"max_upheld": p.max_upheld, "ceiling": p.ceiling,
                           "upheld_outcomes": p.upheld_outcomes}),
        note=(over.map(len).astype(str) + f" khiếu nại được kết luận đúng năm {context.year}"
              f" (quá {p.max_upheld}) → tối đa {p.ceiling}").to_numpy())


def on_time_bonus(context: RuleContext, p: ComplaintsParams) -> pd.DataFrame:
    d = context.tables["dossiers"]
    due = d["due_at"].dt.normalize()
    d = d[due.dt.year == context.year]
    # on time: returned on or before the due date (the hour does not matter); open = late
    on_time = d["returned_at"].dt.normalize() <= due[d.index]
    stats = on_time.groupby(d["handler_id"]).agg(["size", "mean"])
    good = stats[(stats["size"] >= p.on_time_min_dossiers) & (stats["mean"] >= p.on_time_rate)]
    if good.empty:
        return findings_frame()
    return findings_frame(
        pd.DataFrame({"official_id": good.index}),
        rule=f"{NAME}.on_time_bonus", points=p.on_time_points,
        params=json.dumps({"on_time_min_dossiers": p.on_time_min_dossiers,
                           "on_time_rate": p.on_time_rate, "on_time_points": p.on_time_points}),
        note=("Trả đúng hạn " + good["mean"].mul(100).round(1).map("{:g}".format) + "% của "
              + good["size"].astype(str) + f" hồ sơ năm {context.year}: cộng "
              f"{p.on_time_points:g} điểm").to_numpy())
