"""Every hook a xeploai plugin can implement, in the order a run calls them.

A plugin is a module (or object) with functions decorated by ``xeploai.scoring.hookimpl`` whose
names are the hook names below. Built-in rules are plugins too, registered through the
``xeploai.plugins`` entry-point group exactly like a province's own. Each hook is called
once per plugin; the core calls the plugins one by one so an error names the plugin.
"""

from __future__ import annotations

import pandas as pd
import pluggy

from .types import PluginInfo, RuleContext

PROJECT = "xeploai"
hookspec = pluggy.HookspecMarker(PROJECT)


# -------------------------------------------------------------------------------------
# Loading phase: when the plugin manager is built, before any data is read.
# -------------------------------------------------------------------------------------


@hookspec
def xeploai_plugin_info() -> PluginInfo:
    """Describe the plugin.

    Called once when the plugin is loaded. Returns a :class:`~xeploai.scoring.types.PluginInfo`:
    ``name`` (also the plugin's section in the policy file), ``version``, the ``rules`` it
    may report (each with its legal basis, or marked as a project assumption), the pydantic
    ``params_model`` that validates its policy section, and any extra input ``tables`` it
    needs (file stem + pydantic row model), which the loader validates like the core tables.

    Every plugin must implement this hook.
    """


# -------------------------------------------------------------------------------------
# Rule phase: once per run, after every input table is loaded and validated.
# -------------------------------------------------------------------------------------


@hookspec
def xeploai_findings(context: RuleContext) -> pd.DataFrame | None:
    """Return this plugin's findings for the evaluation year ``context.year``.

    :param context: the evaluation year, every input table as a whole pandas DataFrame
        (all years, as loaded), each enabled plugin's validated parameters
        (``context.params_of("late_dossiers")``, read on 31 December of the year) and the
        title parameters in force on the consideration date (``context.titles``).

    Returns a DataFrame with the columns of :data:`xeploai.scoring.types.FINDING_COLUMNS` (build it
    with :func:`xeploai.scoring.types.findings_frame`), one row per official and rule that has an
    effect or something to show: points, a level ceiling, exclusion from classification
    (KXL), titles blocked or qualified for, the parameter values used, the evidence ids and
    a Vietnamese note. Return ``None`` or an empty frame when nothing applies.

    Rules must work on whole tables (vectorised pandas), not loop per official.
    """


# Every hook name, in call order (documentation and the meta-tests read this).
HOOK_NAMES: tuple[str, ...] = ("xeploai_plugin_info", "xeploai_findings")
