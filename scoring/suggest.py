""""Did you mean": the known names closest to what a user typed (ids, parameters, plugins).

Typed ids are compared after :func:`folded` (case, spaces, ``-``/``_`` and Unicode
normalisation ignored): ``bd0029`` and ``BD 0029`` name official ``BD0029``. Beyond that,
``difflib``'s similarity finds near misses (``repeat_treshold`` → ``repeat_threshold``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

_IGNORED = re.compile(r"[\s_\-]+")
MAX_SUGGESTIONS = 3
CUTOFF = 0.6  # difflib's own default similarity
NEARLY = 0.03  # a second name is offered only when nearly as close as the first


def folded(text: str) -> str:
    return _IGNORED.sub("", unicodedata.normalize("NFC", text)).casefold()


def same_name(typed: str, known: Iterable[str]) -> str | None:
    """The one known name equal to ``typed`` but for case and spacing, if exactly one."""
    key = folded(typed)
    hits = [k for k in dict.fromkeys(known) if folded(k) == key]
    return hits[0] if len(hits) == 1 else None


def close_names(typed: str, known: Iterable[str], limit: int = MAX_SUGGESTIONS) -> list[str]:
    """Known names that look like ``typed``, closest first: the closest and those nearly as
    close (names sharing a long prefix, "late_dossiers.repeat_…", are not all offered)."""
    by_key: dict[str, str] = {}
    for name in known:
        by_key.setdefault(folded(name), name)
    target = folded(typed)
    keys = difflib.get_close_matches(target, list(by_key), n=limit, cutoff=CUTOFF)
    if not keys:
        return []
    best = difflib.SequenceMatcher(None, target, keys[0]).ratio()
    return [by_key[k] for k in keys
            if difflib.SequenceMatcher(None, target, k).ratio() >= best - NEARLY]


def did_you_mean(typed: str, known: Iterable[str]) -> str:
    """`` — có phải ý bạn là 'X'?`` (or '' when nothing is close), to end a message."""
    from .i18n import _

    names = close_names(typed, known)
    if not names:
        return ""
    return _(" — có phải ý bạn là {names}?").format(
        names=_(" hay ").join(repr(n) for n in names))
