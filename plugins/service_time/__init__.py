"""Service time (Decree 90/2020, art. 2): who is not classified, who is capped for leave,
and the service conditions of the LDTT title under each title regime."""

from __future__ import annotations

import pandas as pd
from pydantic import Field
from xeploai.scoring import hookimpl
from xeploai.scoring.frames import number_text, number_texts
from xeploai.scoring.policy import Params
from xeploai.scoring.types import PluginInfo, Rule, RuleContext, Step, findings_frame

NAME = "service_time"
VERSION = "1.0.0"

RULES = (
    Rule(f"{NAME}.not_classified", "Dưới 6 tháng công tác: không xếp loại",
         "Nghị định 90/2020/NĐ-CP, khoản 4 Điều 2 (sửa bởi Nghị định 48/2023/NĐ-CP)",
         Step.SERVICE_TIME),
    Rule(f"{NAME}.leave_ceiling", "Nghỉ từ 3 đến dưới 6 tháng: tối đa Hoàn thành nhiệm vụ",
         "Nghị định 90/2020/NĐ-CP, khoản 4 Điều 2 (sửa bởi Nghị định 48/2023/NĐ-CP)",
         Step.CEILING),
    Rule(f"{NAME}.maternity", "Nghỉ thai sản: xếp loại theo thời gian làm việc thực tế",
         "Nghị định 90/2020/NĐ-CP, khoản 4 Điều 2 (sửa bởi Nghị định 48/2023/NĐ-CP)",
         Step.SERVICE_TIME),
    Rule(f"{NAME}.leave_no_ldtt", "Nghỉ từ 3 đến dưới 6 tháng: không xét Lao động tiên tiến",
         "Luật Thi đua, khen thưởng 06/2022/QH15; Nghị định 98/2023/NĐ-CP, Điều 7",
         Step.TITLES),
    Rule(f"{NAME}.recruited_late_no_ldtt",
         "Tuyển dụng chưa đủ 10 tháng trong năm: không xét Lao động tiên tiến",
         "Nghị định 91/2017/NĐ-CP, Điều 11", Step.TITLES),
)


class ServiceTimeParams(Params):
    min_months_classified: float = Field(ge=0, le=12)
    leave_ceiling_min_months: float = Field(ge=0, le=12)
    leave_ceiling_below_months: float = Field(ge=0, le=12)
    leave_ceiling_level: str
    ldtt_min_months_recruited: int = Field(ge=0, le=12)


@hookimpl
def xeploai_plugin_info() -> PluginInfo:
    return PluginInfo(NAME, VERSION, RULES, ServiceTimeParams,
                      description="Thời gian công tác trong năm (KXL, nghỉ 3–6 tháng, thai sản)")


@hookimpl
def xeploai_findings(context: RuleContext) -> pd.DataFrame:
    params: ServiceTimeParams = context.params_of(NAME)
    officials = context.tables["officials"]
    on_maternity = officials["maternity_leave"].astype(bool)
    worked = officials["months_worked"].astype(float)
    absent = officials["months_absent"].astype(float)
    short = (worked < params.min_months_classified) & ~on_maternity
    on_leave = (absent >= params.leave_ceiling_min_months) \
        & (absent < params.leave_ceiling_below_months)
    leave = on_leave & ~on_maternity & ~short
    maternity_helped = on_maternity & ((worked < params.min_months_classified) | on_leave)
    frames = []

    def add(mask: pd.Series, rule: str, note: pd.Series | str, used_params: dict,
            **findings_args: object) -> None:
        """Findings for the officials in ``mask``; a Series ``note`` holds their notes."""
        if mask.any():
            frames.append(findings_frame(
                pd.DataFrame({"official_id": officials.loc[mask, "official_id"].to_numpy()}),
                rule=f"{NAME}.{rule}", params=used_params,
                note=note.to_numpy() if isinstance(note, pd.Series) else note, **findings_args))

    # notes are built for the few officials concerned, not for the whole province
    add(short, "not_classified",
        "Công tác " + number_texts(worked[short]) + " tháng trong năm (dưới "
        + number_text(params.min_months_classified)
        + " tháng, không nghỉ thai sản) → không xếp loại",
        {"min_months_classified": params.min_months_classified}, exclude=True)
    add(leave, "leave_ceiling",
        "Nghỉ " + number_texts(absent[leave]) + " tháng trong năm (từ "
        + number_text(params.leave_ceiling_min_months) + " đến dưới "
        + number_text(params.leave_ceiling_below_months) + " tháng)"
        + f" → tối đa {params.leave_ceiling_level}",
        {"leave_ceiling_min_months": params.leave_ceiling_min_months,
         "leave_ceiling_below_months": params.leave_ceiling_below_months,
         "leave_ceiling_level": params.leave_ceiling_level},
        ceiling=params.leave_ceiling_level)
    add(maternity_helped, "maternity",
        "Nghỉ thai sản: xếp loại theo thời gian làm việc thực tế, không áp mức trần",
        {"min_months_classified": params.min_months_classified})
    if context.titles.regime == "luat_2022":
        add(leave, "leave_no_ldtt",
            "Nghỉ từ 3 đến dưới 6 tháng (không phải thai sản) → không xét Lao động tiên tiến",
            {"regime": context.titles.regime}, blocks_titles="LDTT")
    elif params.ldtt_min_months_recruited > 0:
        recruited = officials["recruited_on"]
        # whole months from recruitment to the end of the year must reach the minimum:
        # recruited on 1 March serves March to December, ten full months (SPEC §5 step 6),
        # so the last qualifying day is the first of month 13 − minimum
        cutoff = context.year_start + pd.DateOffset(months=12 - params.ldtt_min_months_recruited)
        late = recruited.notna() & (recruited > cutoff) & ~short
        add(late, "recruited_late_no_ldtt",
            "Tuyển dụng ngày " + recruited[late].dt.strftime("%d/%m/%Y")
            + f", chưa đủ {params.ldtt_min_months_recruited} tháng đến cuối năm → không xét"
            " Lao động tiên tiến",
            {"ldtt_min_months_recruited": params.ldtt_min_months_recruited,
             "regime": context.titles.regime}, blocks_titles="LDTT")
    return pd.concat(frames, ignore_index=True) if frames else findings_frame()

