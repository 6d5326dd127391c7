"""Whole-table helpers for plugins: per-official JSON lists and joined texts without a
Python call per official (``groupby(...).agg(lambda ...)`` costs seconds at province scale).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# characters json.dumps(ensure_ascii=False) escapes; any other string is quoted as it is
_JSON_SPECIAL = r'["\\\x00-\x1f]'


def json_strings(values: pd.Series) -> pd.Series:
    """Each value as a JSON string literal, exactly as ``json.dumps(v, ensure_ascii=False)``."""
    s = values.astype(str)
    out = ('"' + s + '"').astype(object)
    special = s.str.contains(_JSON_SPECIAL, regex=True).to_numpy(dtype=bool)
    if special.any():
        out[special] = [json.dumps(v, ensure_ascii=False) for v in s[special]]
    return out


def join_groups(items: pd.Series, by: pd.Series, sep: str, prefix: str = "",
                suffix: str = "") -> pd.Series:
    """``prefix + sep.join(items of the group) + suffix`` per value of ``by``, groups sorted
    by key, items in their order within each group (like ``groupby(by).agg(sep.join)``)."""
    keys = by.to_numpy(dtype=object)
    if len(keys) == 0:
        return pd.Series([], dtype=object)
    texts = items.to_numpy(dtype=object)
    if not pd.Index(keys).is_monotonic_increasing:  # callers often pass them sorted
        order = np.argsort(keys, kind="stable")
        keys, texts = keys[order], texts[order]
    texts = texts.tolist()
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)].tolist()
    joined = [prefix + sep.join(texts[a:b]) + suffix
              for a, b in zip(starts.tolist(), ends, strict=True)]
    return pd.Series(joined, index=pd.Index(keys[starts], dtype=object), dtype=object)


def lists_by(items: pd.Series, by: pd.Series) -> pd.Series:
    """One Python list of ``items`` per value of ``by`` (groups sorted by key, items in
    their order): a typed evidence column for findings."""
    keys = by.to_numpy(dtype=object)
    if len(keys) == 0:
        return pd.Series([], dtype=object)
    values = items.to_numpy(dtype=object)
    if not pd.Index(keys).is_monotonic_increasing:
        order = np.argsort(keys, kind="stable")
        keys, values = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    lists = [part.tolist() for part in np.split(values, starts[1:])]
    return pd.Series(lists, index=pd.Index(keys[starts], dtype=object), dtype=object)


def json_lists(items: pd.Series, by: pd.Series) -> pd.Series:
    """One JSON list of ``items`` (strings) per value of ``by``, in the items' order: the
    same text as ``groupby(by).agg(lambda s: json.dumps(list(s), ensure_ascii=False))``."""
    return join_groups(json_strings(items), by, ", ", "[", "]")


def number_texts(values: pd.Series) -> pd.Series:
    """Each number as the notes show it (``{:g}``: 12, 4.5, 66.6667), formatting each
    distinct value once (scores repeat)."""
    distinct, inverse = np.unique(values.to_numpy(dtype=float), return_inverse=True)
    texts = np.array([f"{x:g}" for x in distinct.tolist()], dtype=object)
    return pd.Series(texts[inverse.reshape(-1)], index=values.index, dtype=object)


def to_json(value: object) -> str:
    """The one JSON form of a finding's params or evidence (stored, compared, exported)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def json_texts(values: pd.Series) -> pd.Series:
    """A findings column of typed values (dicts, lists) as JSON texts; text is taken as
    JSON already written. Lists of strings (evidence ids, a province's worth) are written
    by whole-column string operations; a value repeated as one object (a rule's params
    given once for every row) is written once."""
    objects = values.to_numpy(dtype=object)
    out = np.empty(len(objects), dtype=object)
    is_list = np.fromiter((type(v) is list for v in objects), dtype=bool, count=len(objects))
    rows = np.flatnonzero(is_list)
    empty = np.fromiter((len(objects[r]) == 0 for r in rows), dtype=bool, count=len(rows))
    out[rows[empty]] = "[]"
    filled = rows[~empty]
    if len(filled):
        items = pd.Series(objects[filled], index=filled).explode()
        if pd.api.types.infer_dtype(items, skipna=False) == "string":
            joined = join_groups(json_strings(items), pd.Series(items.index), ", ", "[", "]")
            out[filled] = joined.reindex(filled).to_numpy(dtype=object)
        else:  # numbers, None, nested values: as json.dumps writes them
            out[filled] = [to_json(v) for v in objects[filled]]
    written: dict[int, str] = {}
    for i in np.flatnonzero(~is_list).tolist():
        value = objects[i]
        if isinstance(value, str):
            out[i] = value
        else:
            key = id(value)
            if key not in written:
                written[key] = to_json(value)
            out[i] = written[key]
    return pd.Series(out, index=values.index, dtype=object)


def is_in(values: pd.Series, allowed: pd.Series) -> np.ndarray:
    """``values.isin(allowed)`` through one pyarrow hash set: pandas 3's ``isin`` of a
    pyarrow-backed string column makes a Python scalar of every value looked for (≈ 1 s
    per 100,000; 11 s of a 50 s ``--by-unit`` run). Columns that are not all text (a
    plugin's numeric key) are left to pandas."""
    try:
        found = pc.is_in(pa.array(values, pa.large_string(), from_pandas=True),
                         value_set=pa.array(allowed, pa.large_string(), from_pandas=True))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return values.isin(allowed).to_numpy(dtype=bool)
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def pair_keys(first: pd.Series, second: pd.Series) -> pa.Array:
    """One text key per row for a pair of text columns (official and period), to look
    pairs up with :func:`pairs_in`."""
    return pc.binary_join_element_wise(pa.array(first, pa.large_string(), from_pandas=True),
                                       pa.array(second, pa.large_string(), from_pandas=True),
                                       pa.scalar("\x1f", pa.large_string()))


def pairs_in(keys: pa.Array, allowed: pa.Array) -> np.ndarray:
    """Which of ``keys`` (from :func:`pair_keys`) are among ``allowed``."""
    return pc.fill_null(pc.is_in(keys, value_set=allowed), False).to_numpy(
        zero_copy_only=False)


# --- texts as Arrow arrays: a text column of a million rows built by C kernels ------------

TEXT = pa.large_string()


def arrow_texts(values: pd.Series | np.ndarray | list | pa.Array | pa.ChunkedArray
                ) -> pa.Array:
    """A text column as one Arrow ``large_string`` array (pandas' Arrow-backed columns may
    come in several chunks)."""
    array = values if isinstance(values, pa.Array | pa.ChunkedArray) \
        else pa.array(values, TEXT, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(TEXT)


def number_arrow_texts(values: pd.Series | np.ndarray) -> pa.Array:
    """:func:`number_texts` as an Arrow array: each distinct value formatted once (found by
    hashing, not sorting: a million values)."""
    codes, distinct = pd.factorize(np.asarray(values, dtype=float), use_na_sentinel=False)
    texts = pa.array([f"{x:g}" for x in distinct.tolist()], TEXT)
    return texts.take(pa.array(codes))


def json_arrow_strings(values: pd.Series | np.ndarray) -> pa.Array:
    """:func:`json_strings` as an Arrow array."""
    texts = arrow_texts(values)
    quoted = concat_texts('"', texts, '"')
    special = pc.match_substring_regex(texts, _JSON_SPECIAL)
    if not pc.any(special).as_py():
        return quoted
    out = quoted.to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(special.to_numpy(zero_copy_only=False))
    out[rows] = [json.dumps(v, ensure_ascii=False) for v in texts.take(rows).to_pylist()]
    return pa.array(out, TEXT)


def concat_texts(*parts: str | pa.Array) -> pa.Array:
    """Row by row, the parts written one after the other (a text part is the same on every
    row): one Arrow kernel, where a dozen Series additions cost ten times more."""
    return pc.binary_join_element_wise(
        *(part if isinstance(part, pa.Array) else pa.scalar(part, TEXT) for part in parts),
        pa.scalar("", TEXT))


def join_rows(texts: pa.Array, rows: np.ndarray, n: int, sep: str, prefix: str = "",
              suffix: str = "") -> pa.Array:
    """``prefix + sep.join(texts of row i) + suffix`` for each row ``i`` in ``0..n-1``
    (``rows``, increasing, gives each text's row; a row with none gets prefix + suffix)."""
    offsets = np.searchsorted(rows, np.arange(n + 1), side="left").astype(np.int64)
    joined = pc.binary_join(pa.LargeListArray.from_arrays(pa.array(offsets), texts),
                            pa.scalar(sep, TEXT))
    return concat_texts(prefix, joined, suffix) if prefix or suffix else joined
