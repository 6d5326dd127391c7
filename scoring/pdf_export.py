"""The documents a commendation council signs, as one PDF (SPEC §8).

1. the results list of each unit (landscape), signed by the preparer and the unit's head;
2. the proposal list of LĐTT / CSTĐCS titles, with what supports each CSTĐCS;
3. the summary per unit with the shares used (landscape), signed by the council's chair.

Laid out as Decree 30/2020/NĐ-CP lays out administrative documents (motto block, issuing
agency, number, place and date, page numbers, signature blocks) by WeasyPrint from a Jinja2
template and a stylesheet shipped as package data; the text face is Liberation Serif
(metric-compatible with Times New Roman, Vietnamese glyphs), found through fontconfig and
embedded in the file. Agency, place, date, numbers and signers come from
:class:`DocumentSettings` (options or a small TOML file).
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
import shutil
import subprocess
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from .assumptions import marked_reason_notes
from .errors import XeploaiError
from .export import atomic_path, format_number
from .labels import decision_text, level_vi, peer_group_vi, titles_vi
from .overrides import CouncilView
from .run_tables import RunRecord
from .types import LEVEL_LABELS_VI, Level

FONT_FAMILY = "Liberation Serif"
FONT_PACKAGE = "fonts-liberation"
TEMPLATE = "council.html.j2"
STYLESHEET = "council.css"
LEVEL_ORDER: tuple[Level, ...] = (Level.HTXSNV, Level.HTTNV, Level.HTNV, Level.KHTNV, Level.KXL)
DOTS_DATE = "ngày ...... tháng ...... năm ........"


class DocumentError(XeploaiError):
    """The documents can't be made (a bad settings file, no font with Vietnamese glyphs)."""


@dataclass(frozen=True)
class DocumentSettings:
    """What the documents print that the data does not hold. Blank fields print as dotted
    lines to fill in by hand (the usual practice), so the output stays reproducible."""

    agency: str = "HỘI ĐỒNG THI ĐUA - KHEN THƯỞNG"  # the issuing body of documents 2 and 3
    parent_agency: str = ""  # the line above it (e.g. "UBND TỈNH BÌNH ĐỊNH")
    place: str = ""
    date: dt.date | None = None
    number_results: str = "....../DS-ĐV"
    number_titles: str = "....../DS-HĐTĐKT"
    number_summary: str = "....../TH-HĐTĐKT"
    preparer: str = ""
    head: str = ""
    chair: str = ""
    peer_groups: Mapping[str, str] = field(default_factory=dict)

    @property
    def place_date(self) -> str:
        """"Bình Định, ngày 05 tháng 01 năm 2024": days below 10 and months below 3 with a
        leading zero (Decree 30/2020, Appendix I)."""
        if self.date is None:
            when = DOTS_DATE
        else:
            month = f"{self.date.month:02d}" if self.date.month < 3 else str(self.date.month)
            when = f"ngày {self.date.day:02d} tháng {month} năm {self.date.year}"
        return f"{self.place or '................'}, {when}"

    def with_options(self, **options: Any) -> DocumentSettings:
        """A copy with every option given (not None) replacing the setting."""
        given = {k: v for k, v in options.items() if v is not None}
        return DocumentSettings(**{f.name: given.get(f.name, getattr(self, f.name))
                                   for f in fields(self)})


def load_settings(path: Path) -> DocumentSettings:
    """Read a settings file: ``[document]`` with the field names of
    :class:`DocumentSettings` (``date`` as a TOML date) and an optional ``[peer_groups]``
    table naming peer-group codes. Every problem at once, with the file and key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DocumentError(f"không đọc được tệp cấu hình văn bản {path}: "
                            f"{exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DocumentError(f"{path}: không đọc được TOML: {exc}") from exc
    known = {f.name for f in fields(DocumentSettings)} - {"peer_groups"}
    doc = data.get("document", {})
    problems = [f"{path}: khóa lạ [document].{k} (dùng: {', '.join(sorted(known))})"
                for k in doc if k not in known]
    problems += [f"{path}: mục lạ [{k}] (dùng [document] và [peer_groups])"
                 for k in data if k not in ("document", "peer_groups")]
    for key, value in doc.items():
        want_date = key == "date"
        if want_date and (isinstance(value, dt.datetime) or not isinstance(value, dt.date)):
            problems.append(f"{path}: [document].date = {value!r} — cần một ngày "
                            "(YYYY-MM-DD, không đặt trong ngoặc kép)")
        elif not want_date and key in known and not isinstance(value, str):
            problems.append(f"{path}: [document].{key} = {value!r} — cần một chuỗi")
    groups = data.get("peer_groups", {})
    problems += [f"{path}: [peer_groups].{k} = {v!r} — cần một chuỗi"
                 for k, v in groups.items() if not isinstance(v, str)]
    if problems:
        raise DocumentError("\n".join(problems))
    return DocumentSettings(**{k: v for k, v in doc.items() if k in known},
                            peer_groups=dict(groups))


def check_font() -> None:
    """Refuse early when fontconfig does not know the text face: WeasyPrint would silently
    fall back to another face, perhaps without Vietnamese glyphs."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return  # no fontconfig tools: WeasyPrint's own lookup decides
    found = subprocess.run([fc_list, FONT_FAMILY], capture_output=True, text=True,
                           check=False).stdout.strip()
    if not found:
        raise DocumentError(f"thiếu phông chữ {FONT_FAMILY} (có đủ dấu tiếng Việt, cùng khổ "
                            f"chữ với Times New Roman): cài gói {FONT_PACKAGE} "
                            f"(apt-get install {FONT_PACKAGE})")


def _resource(name: str) -> str:
    return importlib.resources.files("xeploai.scoring").joinpath("templates", name) \
        .read_text(encoding="utf-8")


def _distinct(items: list[dict[str, str]]) -> list[dict[str, str]]:
    return list({i["what"]: i for i in items}.values())


def _grounds(reasons: pd.DataFrame) -> dict[str, list[str]]:
    """Per official, the plugin findings that qualify for CSTĐCS (initiatives, research):
    the sentences the proposal list prints beside each CSTĐCS."""
    qualifying = reasons[(reasons["plugin"] != "core")
                         & reasons["qualifies_titles"].str.contains("CSTDCS", regex=False)]
    return qualifying.groupby("official_id")["note"].agg(list).to_dict()


def document_context(view: CouncilView, run: RunRecord, reasons: pd.DataFrame,
                     settings: DocumentSettings, signoff: str = "") -> dict[str, Any]:
    """Everything the template prints, from the council's view of a run."""
    marks = json.loads(run.assumptions or "{}")
    texts, marked = marked_reason_notes(reasons, marks)
    grounds = _grounds(reasons)
    res = view.results
    unit_names = dict(zip(view.units["unit_id"], view.units["name"], strict=True))

    def row_of(r: Mapping[str, Any]) -> dict[str, Any]:
        decided = bool(r["overridden"])
        return {"full_name": r["full_name"],
                "peer_group": peer_group_vi(r["peer_group"], settings.peer_groups),
                "score": format_number(float(r["score"])),
                "level": level_vi(r["level"]), "titles": titles_vi(r["titles"]),
                "reasons": texts.get(r["official_id"], []), "decided": decided,
                "decision": decision_text(r) if decided else "", "flag": r["flag"]}

    units = []
    for unit_id, group in res.groupby("unit_id", sort=True):
        recs = group.to_dict("records")
        units.append({
            "name": unit_names.get(unit_id, unit_id),
            "doc": {"agency": unit_names.get(unit_id, unit_id),
                    "number": settings.number_results},
            "rows": [row_of(r) for r in recs],
            "assumptions": _distinct([a for r in recs for a in marked.get(r["official_id"], [])]),
        })

    has_title = res[res["titles"].str.contains("LDTT|CSTDCS", regex=True)]
    title_units = []
    title_marks: list[dict[str, str]] = []
    for unit_id, group in has_title.groupby("unit_id", sort=True):
        rows = []
        for r in group.to_dict("records"):
            codes = r["titles"].split(";")
            why = grounds.get(r["official_id"], []) if "CSTDCS" in codes else []
            if "CSTDCS" in codes and r["level"] == Level.HTXSNV.value:
                why = [*why, "Hoàn thành xuất sắc nhiệm vụ"]
            rows.append({"full_name": r["full_name"],
                         "peer_group": peer_group_vi(r["peer_group"], settings.peer_groups),
                         "titles": titles_vi(";".join(c for c in codes if c != "CCHC")),
                         "grounds": why, "decided": bool(r["overridden"]),
                         "decision": decision_text(r) if r["overridden"] else ""})
            title_marks += marked.get(r["official_id"], [])
        title_units.append({"name": unit_names.get(unit_id, unit_id), "rows": rows})

    def count(titles: pd.Series, code: str) -> int:
        return int(titles.str.split(";").map(lambda codes: code in codes).sum())

    level_counts = pd.crosstab(res["unit_id"], res["level"])
    quota_sums = view.quotas.groupby("unit_id")[["used", "allowed_final"]].sum()
    over = view.quotas[view.quotas["over"]]
    unit_q = view.units.set_index("unit_id")
    summary_rows = []
    for unit_id in sorted(set(res["unit_id"]) | set(unit_names)):
        in_unit = res[res["unit_id"] == unit_id]
        warnings = [f"Vượt tỷ lệ HTXSNV nhóm {peer_group_vi(g, settings.peer_groups)}"
                    for g in over.loc[over["unit_id"] == unit_id, "peer_group"]]
        uq = unit_q.loc[unit_id] if unit_id in unit_q.index else None
        if uq is not None and bool(uq["cstdcs_over"]):
            warnings.append("Vượt tỷ lệ CSTĐCS")
        summary_rows.append({
            "name": unit_names.get(unit_id, unit_id), "total": len(in_unit),
            "levels": [int(level_counts.at[unit_id, lv.value])
                       if unit_id in level_counts.index and lv.value in level_counts.columns
                       else 0 for lv in LEVEL_ORDER],
            "ldtt": count(in_unit["titles"], "LDTT"),
            "cstdcs": count(in_unit["titles"], "CSTDCS"),
            "exc_used": int(quota_sums.at[unit_id, "used"]) if unit_id in quota_sums.index
            else 0,
            "exc_allowed": int(quota_sums.at[unit_id, "allowed_final"])
            if unit_id in quota_sums.index else 0,
            "cstdcs_used": int(uq["cstdcs_used"]) if uq is not None else 0,
            "cstdcs_allowed": int(uq["cstdcs_allowed"]) if uq is not None else 0,
            "decisions": int(in_unit["overridden"].sum()), "warning": "; ".join(warnings),
        })
    totals = {key: sum(u[key] for u in summary_rows)
              for key in ("total", "ldtt", "cstdcs", "exc_used", "exc_allowed", "cstdcs_used",
                          "cstdcs_allowed", "decisions")}
    totals["levels"] = [sum(u["levels"][i] for u in summary_rows) for i in range(len(LEVEL_ORDER))]
    shares = view.quotas["share"].drop_duplicates().tolist()
    cstdcs_shares = view.units["cstdcs_share"].drop_duplicates().tolist()
    quota_marks = [{"what": k, "text": f"{k} = {v['value']} là giả định của dự án",
                    "reference": v["reference"]}
                   for k, v in marks.get("parameters", {}).items() if k.startswith("quota.")]
    return {
        "title": f"Kết quả đánh giá, xếp loại năm {run.year}", "year": run.year,
        "run_id": run.id, "signoff": signoff, "s": settings, "units": units,
        "titles_doc": {"doc": {"agency": settings.agency, "number": settings.number_titles},
                       "units": title_units, "ldtt": count(res["titles"], "LDTT"),
                       "cstdcs": count(res["titles"], "CSTDCS"),
                       "assumptions": _distinct(title_marks)},
        "summary": {"doc": {"agency": settings.agency, "number": settings.number_summary},
                    "rows": summary_rows, "totals": totals,
                    "level_labels": [LEVEL_LABELS_VI[lv] for lv in LEVEL_ORDER],
                    "quota_share": ", ".join(f"{format_number(s * 100)}%" for s in shares)
                    or "20%",
                    "cstdcs_share": ", ".join(f"{format_number(s * 100)}%"
                                              for s in cstdcs_shares) or "15%",
                    "assumptions": quota_marks},
    }


def render_html(context: dict[str, Any]) -> str:
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             loader=jinja2.FunctionLoader(lambda name: _resource(name)))
    return env.get_template(TEMPLATE).render(**context, css=_resource(STYLESHEET))


def build_pdf(view: CouncilView, run: RunRecord, reasons: pd.DataFrame,
              settings: DocumentSettings, signoff: str = "") -> bytes:
    """The three documents as PDF bytes."""
    import weasyprint

    check_font()
    html = render_html(document_context(view, run, reasons, settings, signoff))
    created = run.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    # the run's time as the file's dates: exporting a run twice gives the same bytes
    doc = weasyprint.HTML(string=html).render()
    doc.metadata.created = doc.metadata.modified = created
    doc.metadata.authors = [f"xeploai {run.tool_version}"]
    return doc.write_pdf()


def write_pdf(view: CouncilView, run: RunRecord, reasons: pd.DataFrame, out: Path,
              settings: DocumentSettings, *, signoff: str = "", force: bool = False) -> None:
    data = build_pdf(view, run, reasons, settings, signoff)
    with atomic_path(out, force=force) as tmp:
        tmp.write_bytes(data)
