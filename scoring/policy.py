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

A province's file can start from another one: ``[policy] extends = "binh_dinh_2023.toml"``
(relative to the file, else one of the policies xeploai ships) takes every section of that
file; the extending file replaces whole parameters, and its ``[policy]``/``[validation]``
keys replace the base's. The plugin list is the base's unless the extending file gives its
own ``plugins`` (which replaces it, explicitly); ``plugins_add = ["complaints"]`` runs more
plugins after the base's without restating them.

A dated value may cite its own source (a value changed by a later text)::

    values = [{ from = 2023-01-01, value = 3 },
              { from = 2025-01-01, value = 2, reference = "QĐ 12/2024/QĐ-UBND" }]

**A policy file is code.** ``plugin_paths`` names Python files that are imported and run
with the user's rights. A path must lie inside the folder of the file that names it; any
other folder must be allowed on the command line (``--allow-plugin-path DIR``):
:func:`check_plugin_paths`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.resources
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import PolicyError
from .i18n import pydantic_message
from .suggest import did_you_mean

SETTINGS_SECTIONS = frozenset({"policy", "validation"})
# the sections the core itself reads; every other section must be a plugin's
CORE_SECTIONS = frozenset({"levels", "quota", "titles", "regime", "products"})
POLICY_KEYS = frozenset({"name", "plugins", "plugins_add", "plugin_paths", "extends"})
VALUE_KEYS = frozenset({"from", "value", "reference"})


@dataclass(frozen=True)
class DatedValue:
    start: dt.date
    value: Any
    reference: str = ""  # this value's own source; blank: the parameter's


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

    def reference_of(self, value: DatedValue) -> str:
        return value.reference or self.reference

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
    # the folder of the file that names each of plugin_paths (where it may lie)
    plugin_roots: tuple[str, ...] = ()

    def section_at(self, section: str, date: dt.date) -> dict[str, Any]:
        """The values of one section in force on ``date`` (empty if the file has none)."""
        return {name: p.at(date) for name, p in self.sections.get(section, {}).items()}

    def parameter(self, key: str) -> Parameter:
        section, _, name = key.partition(".")
        try:
            return self.sections[section][name]
        except KeyError:
            known = [p.key for params in self.sections.values() for p in params.values()]
            raise PolicyError(f"không có tham số {key!r} trong chính sách {self.name}"
                              + did_you_mean(key, known)) from None

    def with_values(self, overrides: Mapping[str, Any], start: dt.date) -> Policy:
        """A copy where each ``section.name`` takes ``value`` from ``start`` on (what-if)."""
        sections = {s: dict(params) for s, params in self.sections.items()}
        for key, value in overrides.items():
            p = self.parameter(key)
            sections[p.section][p.name] = Parameter(
                p.section, p.name, (*[v for v in p.values if v.start < start],
                                    DatedValue(start, value, "giá trị ghi đè khi chạy thử")),
                reference=p.reference, description=p.description, assumption=p.assumption,
            )
        blob = json.dumps({"base": self.content_hash, "set": dict(overrides)},
                          sort_keys=True, default=str)
        return Policy(self.path, hashlib.sha256(blob.encode()).hexdigest(), self.name,
                      self.enabled_plugins, self.plugin_paths, self.warning_checks, sections,
                      self.plugin_roots)


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
        if not isinstance(item, dict) or not {"from", "value"} <= set(item) <= VALUE_KEYS:
            raise PolicyError(f"{where}: {key}.values[{i}] phải có hai khóa 'from' và 'value' "
                              "(và có thể thêm 'reference': căn cứ riêng của giá trị này)")
        start = item["from"]
        if isinstance(start, dt.datetime) or not isinstance(start, dt.date):
            raise PolicyError(f"{where}: {key}.values[{i}].from phải là một ngày "
                              f"(YYYY-MM-DD), không phải {start!r}")
        own = item.get("reference", "")
        if not isinstance(own, str):
            raise PolicyError(f"{where}: {key}.values[{i}].reference phải là chuỗi")
        values.append(DatedValue(start, item["value"], own.strip()))
    values.sort(key=lambda v: v.start)
    starts = [v.start for v in values]
    if len(set(starts)) != len(starts):
        raise PolicyError(f"{where}: {key} có hai giá trị cùng ngày bắt đầu")
    reference = node.get("reference", "")
    # every value needs a source: the parameter's, or its own
    if not isinstance(reference, str) or (not reference.strip() and not all(
            v.reference for v in values)):
        raise PolicyError(f"{where}: tham số {key} thiếu 'reference' (căn cứ pháp lý, "
                          "hoặc ghi rõ giả định của dự án với assumption = true)")
    unknown = set(node) - {"values", "reference", "description", "assumption", "unit"}
    if unknown:
        raise PolicyError(f"{where}: tham số {key} có khóa lạ: {', '.join(sorted(unknown))}")
    return Parameter(section, name, tuple(values), reference,
                     str(node.get("description", "")), bool(node.get("assumption", False)))


def _read_toml(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{where}: không đọc được TOML: {exc}") from None


def _resolve_paths(data: dict[str, Any], path: Path | None) -> None:
    """Make ``plugin_paths`` absolute: relative to the file that names them, whose folder
    is recorded beside each (``plugin_roots``) as the only place it may lie unasked."""
    meta = data.get("policy", {})
    if not isinstance(meta, dict):
        return
    paths = meta.get("plugin_paths")
    if isinstance(paths, list):
        folder = (path.parent if path is not None else Path.cwd()).resolve()
        meta["plugin_paths"] = [str((folder / p).resolve()) if isinstance(p, str) else p
                                for p in paths]
        meta["plugin_roots"] = [str(folder)] * len(paths)


def bundled_policy(name: str) -> Path:
    """A policy file shipped inside the package (``config/`` of the repository)."""
    return Path(str(importlib.resources.files("xeploai.config").joinpath(name)))


def _merged(data: dict[str, Any], path: Path | None, where: str,
            seen: tuple[Path, ...]) -> tuple[dict[str, Any], str]:
    """``data`` on top of the file it extends (recursively); returns it and the bases' hash."""
    _resolve_paths(data, path)
    meta = data.get("policy", {})
    if not isinstance(meta, dict):
        raise PolicyError(f"{where}: [policy] phải là một bảng")
    base_ref = meta.get("extends")
    if base_ref is None:
        if "plugins_add" in meta:  # a file that extends nothing adds to its own list
            meta["plugins"] = _with_added(meta.get("plugins"), meta.pop("plugins_add"), where)
        return data, ""
    if not isinstance(base_ref, str) or not base_ref.strip():
        raise PolicyError(f"{where}: [policy].extends phải là đường dẫn tới tệp chính sách")
    base_path = Path(base_ref)
    if not base_path.is_absolute():
        beside = ((path.parent if path else Path.cwd()) / base_path).resolve()
        # a bare name that is not beside the file is one of the policies xeploai ships
        bundled = bundled_policy(base_ref) if base_path.name == base_ref else None
        base_path = beside if beside.exists() or bundled is None else bundled
    if base_path in seen:
        raise PolicyError(f"{where}: [policy].extends tạo vòng lặp qua {base_path}")
    base_text = _read_text(base_path)
    base, base_hashes = _merged(_read_toml(base_text, str(base_path)), base_path,
                                str(base_path), (*seen, base_path))
    out: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for section, table in data.items():
        if isinstance(table, dict) and isinstance(out.get(section), dict):
            out[section] = {**out[section], **table}
        else:
            out[section] = table
    merged_meta = out.setdefault("policy", {})
    merged_meta.pop("extends", None)
    # the plugin files of the base and of this file, each with the folder that trusts it
    if "plugin_paths" in meta and "plugin_paths" in base.get("policy", {}):
        base_meta = base["policy"]
        merged_meta["plugin_paths"] = [*base_meta["plugin_paths"], *meta["plugin_paths"]]
        merged_meta["plugin_roots"] = [*base_meta["plugin_roots"], *meta["plugin_roots"]]
    if "plugins_add" in meta:
        base_list = base.get("policy", {}).get("plugins")
        merged_meta["plugins"] = _with_added(meta.get("plugins", base_list),
                                             meta["plugins_add"], where)
        merged_meta.pop("plugins_add")
    own = hashlib.sha256(base_text.encode()).hexdigest()
    return out, base_hashes + own


def _with_added(plugins: Any, added: Any, where: str) -> list[str] | None:
    """The plugin list with ``plugins_add`` appended (None, every plugin found, stays so)."""
    if not (isinstance(added, list) and all(isinstance(p, str) for p in added)):
        raise PolicyError(f"{where}: [policy].plugins_add phải là danh sách tên plugin")
    if plugins is None:
        return None
    if not isinstance(plugins, list):
        return plugins  # reported as a bad [policy].plugins by parse_policy
    return [*plugins, *(p for p in added if p not in plugins)]


def parse_policy(text: str, *, path: Path | None = None) -> Policy:
    where = str(path) if path else "<policy>"
    here = (path.resolve(),) if path is not None else ()
    data, base_hashes = _merged(_read_toml(text, where), path, where, here)
    meta = data.get("policy", {})
    roots = meta.pop("plugin_roots", [])
    unknown_keys = set(meta) - POLICY_KEYS
    if unknown_keys:
        raise PolicyError(f"{where}: [policy] có khóa lạ: {', '.join(sorted(unknown_keys))} "
                          f"(cho phép: {', '.join(sorted(POLICY_KEYS))})")
    plugins = meta.get("plugins")
    if plugins is not None and not (isinstance(plugins, list)
                                    and all(isinstance(p, str) for p in plugins)):
        raise PolicyError(f"{where}: [policy].plugins phải là danh sách tên plugin")
    paths = meta.get("plugin_paths", [])
    if not (isinstance(paths, list) and all(isinstance(p, str) for p in paths)):
        raise PolicyError(f"{where}: [policy].plugin_paths phải là danh sách đường dẫn")
    warnings = data.get("validation", {}).get("warnings", [])
    sections: dict[str, dict[str, Parameter]] = {}
    for section, params in data.items():
        if section in SETTINGS_SECTIONS:
            continue
        if not isinstance(params, dict):
            raise PolicyError(f"{where}: [{section}] phải là một bảng tham số")
        sections[section] = {name: _parse_parameter(section, name, node, where)
                             for name, node in params.items()}
    # an extending file's result depends on its bases too: hash them all
    digest = hashlib.sha256((base_hashes + text).encode()).hexdigest() if base_hashes \
        else hashlib.sha256(text.encode()).hexdigest()
    return Policy(
        path=path,
        content_hash=digest,
        name=str(meta.get("name", path.stem if path else "policy")),
        enabled_plugins=tuple(plugins) if plugins is not None else None,
        plugin_paths=tuple(paths),
        warning_checks=frozenset(warnings),
        sections=sections,
        plugin_roots=tuple(roots),
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"không tìm thấy tệp chính sách {path}") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: tệp chính sách phải mã hóa UTF-8") from None


def load_policy(path: str | Path) -> Policy:
    path = Path(path)
    return parse_policy(_read_text(path), path=path)


def check_plugin_paths(policy: Policy, allowed: Iterable[str | Path] = ()) -> None:
    """Every plugin file lies inside the folder of the policy file naming it, or inside a
    folder the user allowed (``--allow-plugin-path``): a policy file copied from elsewhere
    can't make xeploai run code from anywhere on the machine."""
    trusted = [Path(a).resolve() for a in allowed]
    here = str((policy.path.parent if policy.path else Path.cwd()).resolve())
    roots = policy.plugin_roots or (here,) * len(policy.plugin_paths)
    outside = [path for path, root in zip(policy.plugin_paths, roots, strict=True)
               if not any(Path(path).resolve().is_relative_to(folder)
                          for folder in (Path(root), *trusted))]
    if outside:
        raise PolicyError(
            f"chính sách {policy.name}: plugin_paths trỏ ra ngoài thư mục của tệp chính sách: "
            f"{', '.join(outside)} — tệp plugin là mã chương trình sẽ được chạy; nếu tin "
            "tưởng thư mục đó, cho phép rõ ràng bằng --allow-plugin-path THƯ_MỤC")


def disabled_sections(policy: Policy, plugins: Iterable[str]) -> list[str]:
    """Sections of known plugins that the policy does not run: their values do nothing."""
    if policy.enabled_plugins is None:
        return []
    known = set(plugins)
    return sorted(s for s in policy.sections if s in known and s not in CORE_SECTIONS
                  and s not in policy.enabled_plugins and policy.sections[s])


def validate_section(policy: Policy, section: str, model: type[BaseModel],
                     date: dt.date) -> BaseModel:
    """Read ``section`` at ``date`` and validate it with ``model``; a clear error if wrong."""
    values = policy.section_at(section, date)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{section}.{'.'.join(str(x) for x in e['loc'])}: {pydantic_message(e)}"
            f" (giá trị {e.get('input')!r})" if e["loc"] else f"{section}: {pydantic_message(e)}"
            for e in exc.errors()
        )
        raise PolicyError(f"chính sách {policy.name}: mục [{section}] không hợp lệ — "
                          f"{problems}") from None


# --- the core's own sections -----------------------------------------------------------


class Params(BaseModel):
    """Base of parameter models: unknown keys are errors (a typo must not pass silently)."""

    # a model's validator is built when it first validates, not on import: a run validates
    # the sections its policy has (the 2023 policy leaves ProductsParams unbuilt), and a
    # command that reads no policy builds none (docs/decisions.md 125)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


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


ScoreRegime = Literal["task_score", "products"]


class RegimeParams(Params):
    """The scoring regime of each staff type (SPEC §10): ``task_score`` (the head's 0–100
    score, §5) or ``products`` (work products of each month or quarter). A policy without
    the section keeps ``task_score`` for everyone, as every year up to 2025 did."""

    can_bo: ScoreRegime = "task_score"
    cong_chuc: ScoreRegime = "task_score"
    vien_chuc: ScoreRegime = "task_score"


class ProductsParams(Params):
    """The numbers of the products regime (SPEC §10); read only when a staff type uses it."""

    general_max: float = Field(default=30, gt=0)
    task_max: float = Field(default=70, gt=0)
    deduction_per_fault: float = Field(default=0.25, ge=0, le=1)
    objective_causes: list[str] = Field(default_factory=lambda: ["khach_quan", "phan_mem"])
    subordinate_min: float = Field(default=50, ge=0, le=100)
    leader_d_below: float = Field(default=0.5, ge=0, le=1)
    dossiers_as_items: bool = True
    dossier_coefficients: dict[str, float] = Field(default_factory=dict)


def bundled_policy_for_year(year: int) -> Path:
    """The bundled policy in force for evaluation year ``year`` (SPEC §10 "Policy by year")."""
    return bundled_policy(next(name for first, name in reversed(BUNDLED_BY_YEAR)
                               if year >= first))


# (first evaluation year, bundled policy file), oldest first: Decree 335/2025 governs
# công chức from 2026; the Bình Định policy every year before
BUNDLED_BY_YEAR: tuple[tuple[int, str], ...] = ((0, "binh_dinh_2023.toml"),
                                                (2026, "nd335_2026.toml"))


def considered_on(policy: Policy, year: int) -> dt.date:
    """The title consideration date for evaluation year ``year`` (default 15 January Y+1)."""
    md = policy.section_at("titles", dt.date(year, 12, 31)).get("considered_on", "01-15")
    month, day = (int(x) for x in str(md).split("-"))
    return dt.date(year + 1, month, day)


CORE_MODELS: dict[str, type[BaseModel]] = {
    "levels": LevelsParams, "quota": QuotaParams, "titles": TitlesParams,
    "regime": RegimeParams, "products": ProductsParams,
}


def check_sections(policy: Policy, plugins: Iterable[str]) -> None:
    """Every section must be the core's or a discovered plugin's: a typo must not pass."""
    known = CORE_SECTIONS | set(plugins)
    unknown = sorted(set(policy.sections) - known)
    if unknown:
        raise PolicyError(
            f"chính sách {policy.name}: mục lạ {', '.join(f'[{u}]' for u in unknown)} — "
            f"không phải mục của lõi ({', '.join(sorted(CORE_SECTIONS))}) cũng không phải "
            f"tên plugin đã tìm thấy ({', '.join(sorted(plugins)) or 'không có'})"
            + did_you_mean(unknown[0], known))


def change_dates(policy: Policy, section: str) -> list[dt.date]:
    """The dates from which the whole section has a value and on which any value changes."""
    params = policy.sections.get(section, {})
    if not params:
        return []
    complete_from = max(p.values[0].start for p in params.values())
    starts = {v.start for p in params.values() for v in p.values if v.start >= complete_from}
    return sorted(starts | {complete_from})


def validate_policy(policy: Policy, models: Mapping[str, type[BaseModel] | None]) -> None:
    """Validate each section with its model on every date its values change.

    ``models`` maps plugin sections to their parameter models (``None``: the plugin takes
    no parameters, so its section must be empty). Catches a wrong type or a missing value
    when the policy is opened, not only when a year that reads it is classified.
    """
    for section, model in {**CORE_MODELS, **models}.items():
        if model is None:
            if policy.sections.get(section):
                raise PolicyError(f"chính sách {policy.name}: plugin {section} không nhận tham "
                                  f"số nào, nhưng mục [{section}] có: "
                                  f"{', '.join(sorted(policy.sections[section]))}")
            continue
        dates = change_dates(policy, section) or [dt.date(dt.MAXYEAR, 12, 31)]
        for date in dates:
            validate_section(policy, section, model, date)


def read_date(policy: Policy, section: str, year: int) -> dt.date:
    """The date a section is read on for evaluation year ``year`` (SPEC §5, dated parameters):
    titles on the consideration date, everything else on 31 December."""
    return considered_on(policy, year) if section == "titles" else dt.date(year, 12, 31)


@dataclass(frozen=True)
class ParameterValue:
    """One row of ``xeploai policy show``: a value, when it applies from, and its source."""

    key: str
    value: Any
    start: dt.date | None  # None: no value in force yet on ``read_on``
    read_on: dt.date | None  # the date it was read on (None when listing the whole history)
    reference: str
    assumption: bool
    description: str


def parameter_values(policy: Policy, year: int | None = None) -> list[ParameterValue]:
    """Every parameter's value in force for ``year`` (or every dated value when None)."""
    rows: list[ParameterValue] = []
    for section in sorted(policy.sections, key=lambda s: (s not in CORE_SECTIONS, s)):
        for p in policy.sections[section].values():
            if year is None:
                picked = [(v, None) for v in p.values]
            else:
                on = read_date(policy, section, year)
                in_force = [v for v in p.values if v.start <= on]
                picked = [(in_force[-1] if in_force else None, on)]
            rows += [ParameterValue(p.key, v.value if v else None, v.start if v else None, on,
                                    p.reference_of(v) if v else p.reference, p.assumption,
                                    p.description)
                     for v, on in picked]
    return rows
