"""Runs as the council sees them, kept in memory between requests.

A stored run never changes; only council decisions are added to it (never updated or
deleted: :mod:`xeploai.scoring.overrides`). So a run's :class:`CouncilView` stays right for as
long as its decisions' count and highest id are the same, which one small query tells on each
request; any other server process or CLI command that records a decision changes them. The
officials whose reasons rest on a project assumption never change at all.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict

import pandas as pd
from sqlalchemy import Engine, func, select

from ..assumptions import officials_with_assumptions
from ..overrides import CouncilView, OverrideRecord, council_view
from ..review import unit_summary
from ..storage import get_run, list_runs, load_reasons

KEPT_RUNS = 4  # a council compares two runs; a province's view is ≈ 30 MB


class RunViews:
    def __init__(self, engine: Engine, kept: int = KEPT_RUNS) -> None:
        self.engine = engine
        self.kept = kept
        self._views: OrderedDict[int, tuple[tuple[int, int], CouncilView]] = OrderedDict()
        self._summaries: dict[int, tuple[CouncilView, pd.DataFrame]] = {}
        self._assumptions: OrderedDict[int, frozenset[str]] = OrderedDict()
        self._lock = threading.Lock()
        self._reading: dict[int, threading.Lock] = {}

    def _stamp(self, run_id: int) -> tuple[int, int]:
        query = select(func.count(OverrideRecord.id), func.max(OverrideRecord.id)) \
            .where(OverrideRecord.run_id == run_id)
        with self.engine.connect() as conn:
            count, highest = conn.execute(query).one()
        return int(count), int(highest or 0)

    def view(self, run_id: int) -> CouncilView:
        """The run's final values, shares and warnings (as :func:`council_view`)."""
        stamp = self._stamp(run_id)
        with self._lock:
            reading = self._reading.setdefault(run_id, threading.Lock())
        # one reader per run: a request arriving while the run is read (at start-up, or
        # after a decision) waits for that reading instead of doing it a second time
        with reading:
            with self._lock:
                kept = self._views.get(run_id)
                if kept is not None and kept[0] == stamp:
                    self._views.move_to_end(run_id)
                    return kept[1]
            view = council_view(self.engine, run_id)
            self._keep(run_id, stamp, view)
        return view

    def _keep(self, run_id: int, stamp: tuple[int, int], view: CouncilView) -> None:
        with self._lock:
            self._views[run_id] = (stamp, view)
            self._views.move_to_end(run_id)
            while len(self._views) > self.kept:
                self._views.popitem(last=False)

    def summary(self, run_id: int) -> tuple[CouncilView, pd.DataFrame]:
        """The view and its summary per unit (:func:`unit_summary`), made once per view."""
        view = self.view(run_id)
        with self._lock:
            kept = self._summaries.get(run_id)
            if kept is not None and kept[0] is view:
                return kept
        made = (view, unit_summary(view))
        with self._lock:
            self._summaries = {rid: v for rid, v in self._summaries.items()
                               if rid in self._views}
            self._summaries[run_id] = made
        return made

    def assumption_ids(self, run_id: int) -> frozenset[str]:
        """Officials of the run with a reason resting on a project assumption."""
        with self._lock:
            if run_id in self._assumptions:
                return self._assumptions[run_id]
        marks = json.loads(get_run(self.engine, run_id).assumptions or "{}")
        ids = frozenset(officials_with_assumptions(load_reasons(self.engine, run_id), marks))
        with self._lock:
            self._assumptions[run_id] = ids
            while len(self._assumptions) > self.kept:
                self._assumptions.popitem(last=False)
        return ids

    def warm_latest(self) -> None:
        """Read the latest run (its view, summary and assumption marks) ahead of a request."""
        runs = list_runs(self.engine)
        if runs:
            run_id = int(runs[-1].id)  # type: ignore[arg-type]
            self.summary(run_id)
            self.assumption_ids(run_id)
