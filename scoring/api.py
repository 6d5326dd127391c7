"""The library API the CLI is a thin layer over (and that tests call directly)."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from sqlalchemy import Engine

from . import __version__
from .assumptions import run_assumptions_json
from .engine import Classification, classify, default_as_of
from .errors import XeploaiError
from .input.dataset import Dataset
from .input.dates import today_here
from .input.evaluation_year import check_year, check_year_range
from .input.loader import load_by_unit, load_dataset
from .input.split_by_unit import ByUnit, GroupedDataset
from .plugins import PluginRegistry, build_registry, known_names
from .policy import (
    CORE_SECTIONS,
    Policy,
    bundled_policy,
    bundled_policy_for_year,
    check_plugin_paths,
    check_sections,
    disabled_sections,
    load_policy,
    validate_policy,
)
from .storage import (
    RunMeta,
    check_database_url,
    find_repeated_run,
    get_run,
    load_reasons,
    open_db,
    save_run_parts,
)

if TYPE_CHECKING:
    from .pdf_export import DocumentSettings

DEFAULT_POLICY_NAME = "binh_dinh_2023.toml"
# the council file's formats, as ``export --format`` and the workspace's downloads offer them
EXPORT_FORMATS: tuple[str, ...] = ("csv", "xlsx", "json", "pdf")


def resolve_policy_path(path: str | Path | None, year: int | None = None) -> Path:
    """The policy file a command reads: the one named, else the bundled policy in force for
    ``year`` (SPEC §10: nd335_2026.toml from 2026), else the bundled default."""
    if path is not None:
        return Path(path)
    if year is not None:
        return bundled_policy_for_year(year)
    return bundled_policy(DEFAULT_POLICY_NAME)


@dataclass
class Session:
    """A policy with the plugins it names, ready to validate and classify datasets."""

    policy: Policy
    registry: PluginRegistry
    warnings: list[str] = field(default_factory=list)
    # the policy's plugin files, when the session was opened without running them
    unloaded_paths: tuple[str, ...] = ()

    @classmethod
    def open(cls, policy: str | Path | Policy | None = None, year: int | None = None, *,
             load_path_plugins: bool = True,
             allow_plugin_paths: Iterable[str | Path] = ()) -> Session:
        """The policy named, or the bundled one in force for ``year``, with its plugins.

        A policy file's ``plugin_paths`` are code: they must lie beside the file or in
        ``allow_plugin_paths``, and with ``load_path_plugins=False`` they are not imported
        at all (their sections are then listed unchecked)."""
        pol = policy if isinstance(policy, Policy) \
            else load_policy(resolve_policy_path(policy, year))
        check_plugin_paths(pol, allow_plugin_paths)
        registry = build_registry(pol.plugin_paths if load_path_plugins else ())
        unloaded = () if load_path_plugins else pol.plugin_paths
        known = known_names(registry)
        if unloaded:  # sections and names that only the unloaded files could explain
            known |= set(pol.sections) - CORE_SECTIONS
            known |= set(pol.enabled_plugins or ())
        enabled = pol.enabled_plugins
        if enabled is not None and unloaded:
            enabled = tuple(n for n in enabled if n in registry.plugins)
        # an enabled plugin that is not installed explains an "unknown section": say it first
        active = {p.info.name for p in registry.only(enabled)}
        check_sections(pol, known)
        validate_policy(pol, {name: p.info.params_model
                              for name, p in registry.plugins.items()
                              if name in active or name in pol.sections})
        warnings = [f"chính sách {pol.name}: mục [{section}] có tham số nhưng plugin {section} "
                    "không được bật trong [policy].plugins — các giá trị này không có tác "
                    f"dụng (bật bằng plugins_add = [\"{section}\"])"
                    for section in disabled_sections(pol, known_names(registry))]
        return cls(pol, registry, warnings, unloaded)

    def extra_tables(self) -> list:
        return [t for p in self.registry.only(self.policy.enabled_plugins)
                for t in p.info.tables]

    def load(self, data_dir: str | Path) -> Dataset:
        return load_dataset(data_dir, self.extra_tables(), self.policy.warning_checks)

    def rules(self) -> list:
        """The rules of the enabled plugins (for the run's assumptions)."""
        return [r for p in self.registry.only(self.policy.enabled_plugins) for r in p.info.rules]

    def plugin_versions(self) -> dict[str, str]:
        """name -> version of the enabled plugins, in run order (what a run records)."""
        return {p.info.name: p.info.version
                for p in self.registry.only(self.policy.enabled_plugins)}

    def run_meta(self, data_dir: str | Path, input_hashes: dict[str, str], year: int, *,
                 repeats_run: int | None = None) -> RunMeta:
        """What a stored run records besides its results: policy, inputs, assumptions."""
        return RunMeta(
            policy_name=self.policy.name,
            policy_path=str(self.policy.path or ""),
            policy_hash=self.policy.content_hash,
            data_dir=str(Path(data_dir)),
            input_hashes=input_hashes,
            tool_version=__version__,
            created_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
            repeats_run=repeats_run,
            assumptions=run_assumptions_json(self.policy, self.rules(), year),
        )

    def classify(self, dataset: Dataset, year: int, considered_on: dt.date | None = None,
                 as_of: dt.date | None = None) -> Classification:
        return classify(dataset, self.policy, self.registry, year, considered_on, as_of)


@dataclass
class RunOutcome:
    run_id: int | None
    # None for a run split by unit (``by_unit``): each group went to the store as classified
    classification: Classification | None
    dataset: Dataset  # split by unit: every table but the dossiers
    repeats_run: int | None = None  # the earlier run with identical inputs (stored with again)
    policy_warnings: list[str] = field(default_factory=list)
    officials: int = 0
    reasons: int = 0
    groups: int = 1  # groups of units classified one after the other


class RepeatRunError(XeploaiError):
    """The run would repeat an earlier one exactly (same year, inputs, policy, plugins)."""

    def __init__(self, message: str, earlier_run: int) -> None:
        super().__init__(message)
        self.earlier_run = earlier_run


RUN_STEPS: tuple[str, ...] = ("Đọc và kiểm tra dữ liệu", "Xếp loại", "Lưu kết quả")


def run(data_dir: str | Path, year: int, *, policy: str | Path | Policy | None = None,
        db: str | Engine | None = None, store: bool = True, again: bool = False,
        on_step: Callable[[str], None] | None = None,
        as_of: dt.date | None = None,
        allow_plugin_paths: Iterable[str | Path] = (),
        by_unit: ByUnit | None = None) -> RunOutcome:
    """Validate ``data_dir``, classify ``year`` and (unless ``store=False``) store one run.

    Without ``policy``, the bundled policy in force for ``year``. ``as_of`` (SPEC §10): the
    date the run reads the records on; default 31 December of ``year``, or today when
    earlier. A run that would repeat a stored one exactly — same year, input files, policy
    content, plugin versions and xeploai version — is refused with :class:`RepeatRunError`
    naming that run, unless ``again`` (then it is stored and records which run it repeats:
    docs/decisions.md 62). ``on_step`` is called with each step's name (:data:`RUN_STEPS`) as
    it starts, for a progress display.

    ``by_unit`` (national scale): the dossiers are streamed and split by group of units
    (:mod:`.input.split_by_unit`), each group classified and stored as it comes, all in one
    run and one transaction: the same results, reasons and problems as a whole run, in
    bounded memory; it must be stored."""
    step = on_step or (lambda _name: None)
    if store and not isinstance(db, Engine):
        db = check_database_url(db)  # a wrong address is said before any reading
    session, as_of = _open_session(policy, year, as_of, allow_plugin_paths)
    step(RUN_STEPS[0])
    with _read(session, data_dir, by_unit) as data, _data_left_to_refcounting():
        check_year(year, data.dataset.tables, data.due_years())
        step(RUN_STEPS[1])
        tally = _Tally()
        parts = _classify(session, data, year, as_of, tally)
        whole = None
        if not data.split:  # classified now: a failing plugin leaves no database behind
            whole = next(parts)
            parts = iter([whole])
        run_id = earlier = None
        if store:
            step(RUN_STEPS[2])
            run_id, earlier = _store(session, db, data_dir, data.dataset, parts, year, as_of,
                                     again)
        else:
            for _ in parts:  # a dry run split by unit still classifies every group
                pass
    return RunOutcome(run_id, whole, data.dataset, earlier, session.warnings,
                      tally.officials, tally.reasons, max(1, len(data.groups)))


@contextlib.contextmanager
def _data_left_to_refcounting() -> Iterator[None]:
    """While a run classifies and stores, the cyclic garbage collector leaves alone every
    object that exists when the data has been read (``gc.freeze``): they live until the run
    ends, and the full collection a province run triggers walked them all (0.12 s, then
    0.015 s; docs/decisions.md 103). Refcounting still frees them; at the end they are the
    collector's again, so a long-lived process (the workspace) keeps nothing."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _open_session(policy: str | Path | Policy | None, year: int, as_of: dt.date | None,
                  allow_plugin_paths: Iterable[str | Path]) -> tuple[Session, dt.date]:
    """The session of a run, once its year makes sense, and the date it reads records on."""
    check_year_range(year)
    session = Session.open(policy, year, allow_plugin_paths=allow_plugin_paths)
    return session, as_of or default_as_of(year, today_here())


def _read(session: Session, data_dir: str | Path, by_unit: ByUnit | None) -> GroupedDataset:
    """The validated dataset, whole or (``by_unit``) split by group of units."""
    if by_unit is None:
        return GroupedDataset.whole(session.load(data_dir))
    return load_by_unit(data_dir, session.extra_tables(), session.policy.warning_checks,
                        by_unit)


@dataclass
class _Tally:
    officials: int = 0
    reasons: int = 0


def _classify(session: Session, data: GroupedDataset, year: int, as_of: dt.date,
              tally: _Tally) -> Iterator[Classification]:
    """Each part's classification, as it is asked for (one group in memory at a time)."""
    for part, units in data.parts():
        result = session.classify(part, year, as_of=as_of)
        if units is not None:
            result.units = result.units[result.units["unit_id"].isin(units)]
        tally.officials += len(result.results)
        tally.reasons += len(result.reasons)
        yield result


def _store(session: Session, db: str | Engine | None, data_dir: str | Path, dataset: Dataset,
           parts: Iterator[Classification], year: int, as_of: dt.date,
           again: bool) -> tuple[int, int | None]:
    """Store the classified parts as one run (refused when it repeats a run, unless
    ``again``); the run's id, and the run it repeats."""
    # opened only now: bad input leaves no database behind
    engine = db if isinstance(db, Engine) else open_db(db)
    earlier = find_repeated_run(engine, year, session.policy.content_hash,
                                dataset.file_hashes, session.plugin_versions(), __version__,
                                as_of)
    if earlier is not None and not again:
        raise RepeatRunError(
            f"dữ liệu, chính sách và quy tắc giống hệt lần chạy số {earlier} (năm {year}): "
            f"kết quả sẽ y như lần chạy đó, nên không lưu thêm. Dùng lần chạy số {earlier} "
            f"(xeploai export --run {earlier} …), hoặc thêm --again để vẫn lưu một lần "
            "chạy mới", earlier)
    meta = session.run_meta(data_dir, dataset.file_hashes, year, repeats_run=earlier)
    return save_run_parts(engine, parts, meta), earlier


def export_run(db: str | Engine | None, fmt: str, out: Path | IO[str],
               run_id: int | None = None, *, force: bool = False,
               year: int | None = None,
               settings: DocumentSettings | None = None) -> tuple[int, int]:
    """Write the council file of a run, with the council's decisions. Without ``run_id``:
    the finalised run of ``year`` (default: the latest run's year) if there is one, else
    that year's latest run (:func:`xeploai.scoring.signoff.default_run`).

    ``fmt`` is ``csv``, ``json``, ``xlsx`` or ``pdf`` (the last two to a path only; the pdf
    prints ``settings``: agency, place, date, numbers, signers). Returns ``(run id, rows)``.
    A path is written to a temporary file and renamed when complete; an existing file is
    replaced only with ``force``.
    """
    # the council's view, the sign-off and the writers are imported by the export only:
    # `xeploai run` starts without them (openpyxl, jinja2, the council's tables)
    from .export import check_target, write_csv, write_json

    if isinstance(out, Path):
        check_target(out, force=force)  # before any work: the answer won't change
    from .overrides import council_view
    from .pdf_export import DocumentSettings, write_pdf
    from .signoff import default_run, signoff_state
    from .xlsx_export import write_xlsx

    engine = db if isinstance(db, Engine) else open_db(db)
    run_rec = get_run(engine, run_id) if run_id is not None else default_run(engine, year)
    rid = int(run_rec.id)  # type: ignore[arg-type]
    view = council_view(engine, rid)
    if fmt == "csv":
        write_csv(view.results, out, force=force)
    elif fmt == "json":
        write_json(view.results, load_reasons(engine, rid), out, force=force)
    elif fmt == "xlsx":
        if not isinstance(out, Path):
            raise XeploaiError("tệp xlsx cần một đường dẫn (--out TEN_TEP.xlsx), "
                               "không ghi ra màn hình được")
        write_xlsx(view, run_rec, load_reasons(engine, rid), out, force=force,
                   signoff=signoff_state(engine, rid).describe())
    elif fmt == "pdf":
        if not isinstance(out, Path):
            raise XeploaiError("tệp pdf cần một đường dẫn (--out TEN_TEP.pdf), "
                               "không ghi ra màn hình được")
        write_pdf(view, run_rec, load_reasons(engine, rid), out,
                  settings or DocumentSettings(), signoff=signoff_state(engine, rid).describe(),
                  force=force)
    else:
        raise XeploaiError(f"định dạng {fmt!r} không được hỗ trợ (csv, json, xlsx, pdf)")
    return rid, len(view.results)


def validate(data_dir: str | Path, *, policy: str | Path | Policy | None = None,
             year: int | None = None,
             allow_plugin_paths: Iterable[str | Path] = ()) -> Dataset:
    """Load and check ``data_dir``; raises InvalidInputError listing every problem. With
    ``year``, also that the year makes sense for the data (SPEC §3)."""
    if year is not None:
        check_year_range(year)
    dataset = Session.open(policy, allow_plugin_paths=allow_plugin_paths).load(data_dir)
    if year is not None:
        check_year(year, dataset.tables)
    return dataset
