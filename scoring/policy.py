"""Policy files: dated parameters with their legal sources (OpenFisca-style).

A policy file is TOML. Settings (``[policy]``, ``[validation]``) are plain values; every
other top-level table is a *section* (``levels``, ``quota``, ``titles`` for the core, one
per plugin) whose entries are *parameters*::

    [late_dossiers.repeat_threshold]
    description = "Số hồ sơ trễ hạn tính để coi là tái phạm nhiều lần"
    reference = "QĐ 4510/QĐ-UBND ngày 29/12/2022 (Bình Định)"
    assumption = true          # no text fixes the number: the explanation says so
    values = [{ from = 2023-01-01, value = 3 }]

A section is read *at a date*: each parameter takes the value of its latest ``from`` on
or before that date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scoring.errors import PolicyError

SETTINGS_SECTIONS = frozenset({"policy", "validation"})


@dataclass(frozen=True)
class DatedValue:
    start: dt.date
    value: Any


@dataclass(frozen=True)
class Parameter:
    """One policy number (or code, or table) with its history and source."""

    section: str
    name: str
    values: tuple[DatedValue, ...]  # sorted by start
    reference: str
    description: str = ""
    assumption: bool = False

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"

    def at(self, date: dt.date) -> Any:
        in_force = [v for v in self.values if v.start <= date]
        if not in_force:
            first = self.values[0].start.isoformat()
            raise PolicyError(
                f"tham số {self.key}: chưa có giá trị nào có hiệu lực vào ngày "
                f"{date.isoformat()} (giá trị sớm nhất áp dụng từ {first})"
            )
        return in_force[-1].value


@dataclass(frozen=True)
class Policy:
    """A parsed policy file."""

    path: Path | None
    content_hash: str
    name: str
    enabled_plugins: tuple[str, ...] | None  # None = every plugin found
    plugin_paths: tuple[str, ...]
    warning_checks: frozenset[str]
    sections: Mapping[str, Mapping[str, Parameter]] = field(default_factory=dict)

    def section_at(self, section: str, date: dt.date) -> dict[str, Any]:
        """The values of one section in force on ``date`` (empty if the file has none)."""
        return {name: p.at(date) for name, p in self.sections.get(section, {}).items()}

    def parameter(self, key: str) -> Parameter:
        section, _, name = key.partition(".")
        try:
            return self.sections[section][name]
        except KeyError:
            raise PolicyError(f"không có tham số {key!r} trong chính sách") from None

    def with_values(self, overrides: Mapping[str, Any], start: dt.date) -> Policy:
        """A copy where each ``section.name`` takes ``value`` from ``start`` on (what-if)."""
        sections = {s: dict(params) for s, params in self.sections.items()}
        for key, value in overrides.items():
            p = self.parameter(key)
            sections[p.section][p.name] = Parameter(
                p.section, p.name, (*[v for v in p.values if v.start < start],
                                    DatedValue(start, value)),
                reference=f"{p.reference}; ghi đè khi chạy thử", description=p.description,
                assumption=p.assumption,
            )
        blob = json.dumps({"base": self.content_hash, "set": dict(overrides)},
                          sort_keys=True, default=str)
        return Policy(self.path, hashlib.sha256(blob.encode()).hexdigest(), self.name,
                      self.enabled_plugins, self.plugin_paths, self.warning_checks, sections)


def _parse_parameter(section: str, name: str, node: Any, where: str) -> Parameter:
    key = f"{section}.{name}"
    if not isinstance(node, dict) or "values" not in node:
        raise PolicyError(f"{where}: tham số {key} phải là một bảng có khóa 'values' "
                          "(danh sách {{from = YYYY-MM-DD, value = ...}})")
    raw = node["values"]
    if not isinstance(raw, list) or not raw:
        raise PolicyError(f"{where}: {key}.values phải là danh sách không rỗng")
    values = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) != {"from", "value"}:
            raise PolicyError(f"{where}: {key}.values[{i}] phải có đúng hai khóa 'from' và 'value'")
        start = item["from"]
        if isinstance(start, dt.datetime) or not isinstance(start, dt.date):
            raise PolicyError(f"{where}: {key}.values[{i}].from phải là một ngày "
                              f"(YYYY-MM-DD), không phải {start!r}")
        values.append(DatedValue(start, item["value"]))
    values.sort(key=lambda v: v.start)
    starts = [v.start for v in values]
    if len(set(starts)) != len(starts):
        raise PolicyError(f"{where}: {key} có hai giá trị cùng ngày bắt đầu")
    reference = node.get("reference", "")
    if not isinstance(reference, str) or not reference.strip():
        raise PolicyError(f"{where}: tham số {key} thiếu 'reference' (căn cứ pháp lý, "
                          "hoặc ghi rõ giả định của dự án với assumption = true)")
    unknown = set(node) - {"values", "reference", "description", "assumption", "unit"}
    if unknown:
        raise PolicyError(f"{where}: tham số {key} có khóa lạ: {', '.join(sorted(unknown))}")
    return Parameter(section, name, tuple(values), reference,
                     str(node.get("description", "")), bool(node.get("assumption", False)))


def parse_policy(text: str, *, path: Path | None = None) -> Policy:
    where = str(path) if path else "<policy>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{where}: không đọc được TOML: {exc}") from None
    meta = data.get("policy", {})
    plugins = meta.get("plugins")
    if plugins is not None and not (isinstance(plugins, list)
                                    and all(isinstance(p, str) for p in plugins)):
        raise PolicyError(f"{where}: [policy].plugins phải là danh sách tên plugin")
    paths = meta.get("plugin_paths", [])
    if not (isinstance(paths, list) and all(isinstance(p, str) for p in paths)):
        raise PolicyError(f"{where}: [policy].plugin_paths phải là danh sách đường dẫn")
    if path is not None:
        # relative plugin paths are relative to the policy file, not to the working folder
        paths = [str((path.parent / p).resolve()) if not Path(p).is_absolute() else p
                 for p in paths]
    warnings = data.get("validation", {}).get("warnings", [])
    sections: dict[str, dict[str, Parameter]] = {}
    for section, params in data.items():
        if section in SETTINGS_SECTIONS:
            continue
        if not isinstance(params, dict):
            raise PolicyError(f"{where}: [{section}] phải là một bảng tham số")
        sections[section] = {name: _parse_parameter(section, name, node, where)
                             for name, node in params.items()}
    return Policy(
        path=path,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        name=str(meta.get("name", path.stem if path else "policy")),
        enabled_plugins=tuple(plugins) if plugins is not None else None,
        plugin_paths=tuple(paths),
        warning_checks=frozenset(warnings),
        sections=sections,
    )


def load_policy(path: str | Path) -> Policy:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"không tìm thấy tệp chính sách {path}") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: tệp chính sách phải mã hóa UTF-8") from None
    return parse_policy(text, path=path)


def validate_section(policy: Policy, section: str, model: type[BaseModel],
                     date: dt.date) -> BaseModel:
    """Read ``section`` at ``date`` and validate it with ``model``; a clear error if wrong."""
    values = policy.section_at(section, date)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{section}.{'.'.join(str(x) for x in e['loc'])}: {e['msg']}"
            f" (giá trị {e.get('input')!r})" if e["loc"] else f"{section}: {e['msg']}"
            for e in exc.errors()
        )
        raise PolicyError(f"chính sách {policy.name}: mục [{section}] không hợp lệ — "
                          f"{problems}") from None


# --- the core's own sections -----------------------------------------------------------


class Params(BaseModel):
    """Base of parameter models: unknown keys are errors (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LevelsParams(Params):
    excellent_min: float
    good_min: float
    completed_min: float


class QuotaParams(Params):
    share: float = Field(ge=0, le=1)
    base: Literal["good_or_above", "good_only"]
    unit_share: dict[str, float] = Field(default_factory=dict)


class TitlesParams(Params):
    regime: Literal["luat_2003", "luat_2022"]
    cstdcs_share: float = Field(ge=0, le=1)
    considered_on: str = Field(pattern=r"^\d{2}-\d{2}$")  # MM-DD of the year after


def considered_on(policy: Policy, year: int) -> dt.date:
    """The title consideration date for evaluation year ``year`` (default 15 January Y+1)."""
    md = policy.section_at("titles", dt.date(year, 12, 31)).get("considered_on", "01-15")
    month, day = (int(x) for x in str(md).split("-"))
    return dt.date(year + 1, month, day)
