"""Finding, loading and calling rule plugins.

Plugins come from three places, through one path: the ``xeploai.plugins`` entry-point
group (the built-in rules are registered there by xeploai's own ``pyproject.toml``, exactly
as a province's package registers its rules), and module files named in the policy's
``plugin_paths``. ``XEPLOAI_PLUGINS`` (comma-separated names) limits which installed
plugins load; ``XEPLOAI_TRACE_HOOKS=1`` prints every hook call and its result to stderr.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from json.scanner import make_scanner
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pluggy
from pydantic import BaseModel

from . import hookspecs
from .errors import PluginError
from .frames import is_in, json_texts, number_text
from .suggest import did_you_mean
from .types import FINDING_COLUMNS, Level, PluginInfo, RuleContext, Title

ENTRY_POINT_GROUP = "xeploai.plugins"
ALLOW_ENV = "XEPLOAI_PLUGINS"
TRACE_ENV = "XEPLOAI_TRACE_HOOKS"


@dataclass
class LoadedPlugin:
    info: PluginInfo
    source: str  # "built-in", "entry point: dist==version", "path: /x/y.py"
    module: Any
    hooks: tuple[str, ...] = field(default_factory=tuple)


def _is_builtin(module: ModuleType) -> bool:
    return module.__name__.startswith("xeploai.plugins.")


def _load_path_module(path: str) -> ModuleType:
    file = Path(path)
    if file.is_dir():
        file = file / "__init__.py"
    if not file.exists():
        raise PluginError(str(path), "không tìm thấy tệp plugin")
    mod_name = f"xeploai_path_plugin_{file.parent.name}_{file.stem}"
    spec = importlib.util.spec_from_file_location(mod_name, file)
    if spec is None or spec.loader is None:
        raise PluginError(str(path), "không nạp được tệp plugin")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a province's code can fail in any way; name it
        sys.modules.pop(mod_name, None)
        raise PluginError(str(path), f"lỗi khi nạp: {type(exc).__name__}: {exc}") from exc
    return module


class PluginRegistry:
    """The loaded plugins, in a deterministic order, and the calls into them."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, LoadedPlugin] = {}
        # entry points left out by the XEPLOAI_PLUGINS allow-list: known names, not loaded
        self.skipped: dict[str, str] = {}
        self.trace = os.environ.get(TRACE_ENV, "") not in ("", "0")

    # -- loading ---------------------------------------------------------------------
    def register(self, module: Any, source: str, label: str | None = None) -> LoadedPlugin:
        """Check and add one plugin; ``label`` names it in errors until its info is known."""
        label = label or getattr(module, "__name__", repr(module))
        try:
            self.pm.register(module, name=label)
        except pluggy.PluginValidationError as exc:
            raise PluginError(label, f"hook không hợp lệ: {exc}") from None
        except ValueError as exc:
            raise PluginError(label, str(exc)) from None
        impls = [c for c in (self.pm.get_hookcallers(module) or [])]
        hooks = tuple(sorted(c.name for c in impls))
        # pluggy accepts an implementation of a hook nobody specified (a typo such as
        # ``xeploai_finding``) and never calls it: the rule would silently do nothing
        unknown = sorted(n for n in dir(module) if n.startswith(hookspecs.PROJECT + "_")
                         and callable(getattr(module, n, None))
                         and not hasattr(hookspecs, n))
        if unknown:
            self.pm.unregister(module)
            raise PluginError(label, f"hook không tồn tại: {', '.join(unknown)} (các hook: "
                              f"{', '.join(hookspecs.HOOK_NAMES)})")
        if "xeploai_plugin_info" not in hooks:
            self.pm.unregister(module)
            raise PluginError(label, "thiếu hook xeploai_plugin_info")
        try:
            info = module.xeploai_plugin_info()
        except Exception as exc:
            self.pm.unregister(module)
            raise PluginError(label, f"xeploai_plugin_info lỗi: {exc}") from exc
        if self.trace:
            model = info.params_model
            print(f"[xeploai hook] {label}.xeploai_plugin_info() -> {info.name} {info.version}; "
                  f"rules: {', '.join(r.id for r in info.rules)}; parameters: "
                  f"{', '.join(model.model_fields) if model else '-'}; tables: "
                  f"{', '.join(t.name for t in info.tables) or '-'}", file=sys.stderr)
        if not isinstance(info, PluginInfo):
            self.pm.unregister(module)
            raise PluginError(label, "xeploai_plugin_info phải trả về "
                                     "xeploai.scoring.types.PluginInfo")
        if info.name in self.plugins:
            self.pm.unregister(module)
            raise PluginError(info.name, f"trùng tên với plugin đã nạp từ "
                              f"{self.plugins[info.name].source}")
        for rule in info.rules:
            if not rule.id.startswith(info.name + "."):
                self.pm.unregister(module)
                raise PluginError(info.name, "mã quy tắc phải bắt đầu bằng tên plugin",
                                  rule=rule.id)
            if not rule.basis.strip():
                self.pm.unregister(module)
                raise PluginError(info.name, "quy tắc thiếu căn cứ pháp lý", rule=rule.id)
        loaded = LoadedPlugin(info, source, module, hooks)
        self.plugins[info.name] = loaded
        return loaded

    def load_entry_points(self) -> None:
        allow = os.environ.get(ALLOW_ENV)
        allowed = {n.strip() for n in allow.split(",") if n.strip()} if allow else None
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if allowed is not None and ep.name not in allowed:
                self.skipped[ep.name] = ep.value
                continue
            try:
                module = ep.load()
            except Exception as exc:
                raise PluginError(ep.name, f"lỗi khi nạp entry point {ep.value}: "
                                  f"{type(exc).__name__}: {exc}") from exc
            if isinstance(module, ModuleType) and _is_builtin(module):
                source = "built-in"
            else:
                dist = ep.dist
                source = f"entry point: {dist.name}=={dist.version}" if dist else "entry point"
            self.register(module, source, label=ep.name)

    def load_paths(self, paths: Iterable[str]) -> None:
        for path in paths:
            self.register(_load_path_module(path), f"path: {path}", label=str(path))

    def only(self, names: Iterable[str] | None) -> list[LoadedPlugin]:
        """The plugins to run, in the policy's order (or by name when it gives none)."""
        if names is None:
            return [self.plugins[n] for n in sorted(self.plugins)]
        # switched off by the XEPLOAI_PLUGINS allow-list: left out of the run on purpose
        names = [n for n in names if n not in self.skipped]
        missing = [n for n in names if n not in self.plugins]
        if missing:
            raise PluginError(", ".join(missing), "plugin được bật trong chính sách nhưng "
                              f"không được cài đặt (có: {', '.join(sorted(self.plugins))}); "
                              "cài gói của plugin (pip install) hoặc ghi đường dẫn của nó "
                              "trong [policy].plugin_paths"
                              + did_you_mean(missing[0], self.plugins))
        return [self.plugins[n] for n in names]

    # -- calling ---------------------------------------------------------------------
    def findings(self, plugin: LoadedPlugin, context: RuleContext) -> pd.DataFrame:
        """Call one plugin's ``xeploai_findings`` and check what it returned."""
        name = plugin.info.name
        if "xeploai_findings" not in plugin.hooks:
            return pd.DataFrame(columns=list(FINDING_COLUMNS))
        started = time.perf_counter()
        try:
            result = plugin.module.xeploai_findings(context=context)
        except Exception as exc:
            raise PluginError(name, f"xeploai_findings lỗi: {type(exc).__name__}: {exc}"
                              f"{_where(exc, plugin.module)}") from exc
        if self.trace:
            n = "None" if result is None else f"{len(result)} findings"
            print(f"[xeploai hook] {name}.xeploai_findings(year={context.year}) -> {n} "
                  f"in {time.perf_counter() - started:.3f}s", file=sys.stderr)
            if isinstance(result, pd.DataFrame) and len(result):
                print(result.to_string(max_rows=20), file=sys.stderr)
        if result is None:
            return pd.DataFrame(columns=list(FINDING_COLUMNS))
        return check_findings(plugin.info, result, context)


# A finding moves a score out of 100; beyond this it is a unit mistake (-500 for -5.00),
# not a rule (docs/decisions.md).
MAX_POINTS = 100.0
TEXT_COLUMNS = ("official_id", "rule", "ceiling", "blocks_titles", "qualifies_titles",
                "note")
# typed columns: the kinds each accepts (a text is JSON a plugin wrote itself)
TYPED_KINDS: dict[str, tuple[type, ...]] = {"params": (dict,), "evidence": (list, dict)}
TYPED_LABELS: dict[str, str] = {"params": "một dict (đối tượng JSON {...})",
                                "evidence": "một list (danh sách [...]) hoặc dict"}


def _where(exc: BaseException, module: Any) -> str:
    """' (tại tệp:dòng, hàm f)' for the deepest frame of the plugin's own code, so the
    message points at the rule's function rather than at pandas internals."""
    folder = Path(getattr(module, "__file__", "") or ".").resolve().parent
    where = ""
    for frame, line in traceback.walk_tb(exc.__traceback__):
        file = Path(frame.f_code.co_filename)
        if file.resolve().is_relative_to(folder):
            where = f" (tại {file.name}:{line}, hàm {frame.f_code.co_name})"
    return where


def check_findings(info: PluginInfo, df: Any, context: RuleContext) -> pd.DataFrame:
    """Reject malformed findings with an error naming the plugin and the rule.

    Everything that would otherwise fail later — in the engine, in the database (a missing
    note, a NUL byte PostgreSQL refuses) or in ``explain``/``export`` (params or evidence
    that are not JSON) — is caught here, where the plugin and the rule can still be named.
    """
    name = info.name
    if not isinstance(df, pd.DataFrame):
        raise PluginError(name, f"xeploai_findings phải trả về pandas.DataFrame, không phải "
                          f"{type(df).__name__}")
    dup_cols = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
    if dup_cols:
        raise PluginError(name, "cột bị lặp lại trong kết quả: " + ", ".join(dup_cols))
    missing = [c for c in FINDING_COLUMNS if c not in df.columns]
    if missing:
        raise PluginError(name, "thiếu cột trong kết quả: " + ", ".join(missing)
                          + " (dùng xeploai.scoring.types.findings_frame)")
    if df.empty:
        return df[list(FINDING_COLUMNS)]
    df = df.reset_index(drop=True)

    def fail(mask: pd.Series, column: str, message: str) -> None:
        if mask.any():
            first = mask.to_numpy().nonzero()[0][0]
            text = message.replace("{value!r}", repr(df.iloc[first][column])) \
                .replace("{n}", str(int(mask.sum())))
            rule = df["rule"].iloc[first]
            raise PluginError(name, text, rule=rule if isinstance(rule, str) else repr(rule))

    # Type checks are answered for the whole column when its dtype (or pandas' C-level
    # inference) already settles them; a Python call per finding costs seconds per province.
    for column in TEXT_COLUMNS:
        all_text = pd.api.types.infer_dtype(df[column], skipna=False) == "string"
        not_text = pd.Series(False, index=df.index) if all_text \
            else ~df[column].map(lambda v: isinstance(v, str))
        fail(not_text, column, f"cột {column} phải là chuỗi, có giá trị {{value!r}} ({{n}} dòng)")
    # typed params and evidence: checked by kind, then written as JSON by the core (one
    # form for every plugin); a text must already be JSON of the right kind
    for column, kinds in TYPED_KINDS.items():
        values = df[column]
        # each value's type, then one answer per distinct type (a rule's findings have two
        # or three): a Python isinstance per finding costs more
        types = pd.Series(list(map(type, values.to_numpy(dtype=object))), index=df.index,
                          dtype=object)
        distinct = types.unique().tolist()
        fail(~types.isin([t for t in distinct if issubclass(t, (*kinds, str))]), column,
             f"cột {column} phải là {TYPED_LABELS[column]}, có giá trị {{value!r}}")
        texts = values[types.isin([t for t in distinct if issubclass(t, str)])]
        invalid = [v for v in texts.unique() if not _is_json(v, kinds)]
        if invalid:
            fail(values.isin(invalid), column,
                 f"cột {column} phải là {TYPED_LABELS[column]} viết bằng JSON, có giá trị "
                 "{value!r}")
        df[column] = json_texts(values)
    # one C-level scan of every text for the (rare) NUL; only then find where it is
    texts_and_json = (*TEXT_COLUMNS, *TYPED_KINDS)
    if "\x00" in "".join("".join(df[c].tolist()) for c in texts_and_json):
        for column in texts_and_json:
            fail(df[column].str.contains("\x00", regex=False), column,
                 f"cột {column} chứa ký tự NUL: {{value!r}}")
    declared = {r.id for r in info.rules}
    fail(~df["rule"].isin(declared), "rule", "trả về quy tắc chưa khai báo trong "
         f"PluginInfo.rules (đã khai báo: {', '.join(sorted(declared))})")
    # one Arrow hash set: pandas' isin against the officials' Arrow-backed ids cost a
    # province's findings 0.04 s
    known = pd.Series(is_in(df["official_id"], context.tables["officials"]["official_id"]),
                      index=df.index)
    fail(~known, "official_id",
         "nêu cán bộ không có trong officials: {value!r} ({n} dòng)")
    levels = {lv.value for lv in Level}
    fail(~df["ceiling"].isin(levels | {""}), "ceiling",
         f"mức trần không hợp lệ {{value!r}} (cho phép: {', '.join(sorted(levels))})")
    titles = {t.value for t in Title}
    # checks of a text column are made once per distinct value; a mask over the findings
    # is built only when some value fails
    for column in ("blocks_titles", "qualifies_titles"):
        unknown = [v for v in df[column].unique() if v != "" and not set(v.split(";")) <= titles]
        if unknown:
            fail(df[column].isin(unknown), column, f"{column} có mã danh hiệu lạ {{value!r}} "
                 f"(cho phép: {', '.join(sorted(titles))}, nối bằng ';')")
    if df["exclude"].dtype != bool:
        fail(~df["exclude"].map(lambda v: isinstance(v, bool | np.bool_)), "exclude",
             "exclude phải là True/False, có giá trị {value!r}")
    if df["points"].dtype.kind in "iuf":
        is_number = pd.Series(True, index=df.index)
    else:
        is_number = df["points"].map(lambda v: isinstance(v, int | float | np.number)
                                     and not isinstance(v, bool | np.bool_))
    fail(~is_number, "points", "điểm phải là số, có giá trị {value!r}")
    points = df["points"].astype(float)
    fail(~np.isfinite(points), "points", "điểm không phải số hữu hạn: {value!r}")
    fail(points.abs() > MAX_POINTS, "points",
         f"điểm {{value!r}} vượt quá ±{number_text(MAX_POINTS)} trên thang 100")
    return df[list(FINDING_COLUMNS)]


# json's C scanner, called directly: json.loads' Python-level wrapper costs as much again
# as the parse, and a province's findings carry ~200,000 JSON texts
_SCAN = make_scanner(json.JSONDecoder())


def _is_json(value: str, kind: type | tuple[type, ...]) -> bool:
    try:
        obj, end = _SCAN(value, 0)
        if end == len(value):
            return isinstance(obj, kind)
    except (StopIteration, ValueError):
        pass
    try:  # whitespace around the value, or not JSON: the slow path decides
        return isinstance(json.loads(value), kind)
    except ValueError:
        return False


def known_names(registry: PluginRegistry) -> set[str]:
    """Plugins found, loaded or switched off by the allow-list: valid policy sections."""
    return set(registry.plugins) | set(registry.skipped)


def build_registry(plugin_paths: Iterable[str] = ()) -> PluginRegistry:
    registry = PluginRegistry()
    registry.load_entry_points()
    registry.load_paths(plugin_paths)
    if not registry.plugins:
        raise PluginError("xeploai", "không tìm thấy plugin nào trong nhóm entry point "
                          f"{ENTRY_POINT_GROUP!r}: đã cài xeploai chưa (pip install -e .)?")
    return registry


def plugin_params(registry: PluginRegistry, active: list[LoadedPlugin], policy: Any,
                  date: Any) -> dict[str, BaseModel]:
    """Each active plugin's policy section, validated by its own model at ``date``."""
    from .policy import validate_section

    params: dict[str, BaseModel] = {}
    for plugin in active:
        model = plugin.info.params_model
        if model is not None:
            params[plugin.info.name] = validate_section(policy, plugin.info.name, model, date)
    return params
