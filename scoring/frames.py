"""Whole-table helpers for plugins: per-official JSON lists and joined texts without a
Python call per official (``groupby(...).agg(lambda ...)`` costs seconds at province scale).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: the Arrow type of every text column (what pandas' string dtype holds)
TEXT = pa.large_string()

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


def _groups(items: pd.Series, by: pd.Series) -> tuple[np.ndarray, list, list[int],
                                                     list[int]]:
    """The items' groups by ``by``: the keys (sorted) and the items in that order (stable),
    each group's first row and its end. Sorted keys are found by comparing neighbours
    (callers often pass them sorted): an object ``pd.Index``'s monotonic test cost a
    province's 70,000 late dossiers more than the grouping."""
    keys = by.to_numpy(dtype=object)
    values = items.to_numpy(dtype=object)
    try:
        ordered = bool((keys[1:] >= keys[:-1]).all())
    except TypeError:  # keys of several kinds: argsort says what it can
        ordered = False
    if not ordered:
        order = np.argsort(keys, kind="stable")
        keys, values = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], values.tolist(), starts.tolist(), [*starts[1:].tolist(), len(keys)]


def join_groups(items: pd.Series, by: pd.Series, sep: str, prefix: str = "",
                suffix: str = "") -> pd.Series:
    """``prefix + sep.join(items of the group) + suffix`` per value of ``by``, groups sorted
    by key, items in their order within each group (like ``groupby(by).agg(sep.join)``)."""
    if len(by) == 0:
        return pd.Series([], dtype=object)
    keys, texts, starts, ends = _groups(items, by)
    joined = [prefix + sep.join(texts[a:b]) + suffix for a, b in zip(starts, ends, strict=True)]
    return pd.Series(joined, index=pd.Index(keys, dtype=object), dtype=object)


def lists_by(items: pd.Series, by: pd.Series) -> pd.Series:
    """One Python list of ``items`` per value of ``by`` (groups sorted by key, items in
    their order): a typed evidence column for findings."""
    if len(by) == 0:
        return pd.Series([], dtype=object)
    # slices of one Python list: np.split's sub-array per official cost ten times more
    keys, values, starts, ends = _groups(items, by)
    lists = [values[a:b] for a, b in zip(starts, ends, strict=True)]
    return pd.Series(lists, index=pd.Index(keys, dtype=object), dtype=object)


def json_lists(items: pd.Series, by: pd.Series) -> pd.Series:
    """One JSON list of ``items`` (strings) per value of ``by`` (text keys; groups sorted by
    key, items in their order): the same text as ``groupby(by).agg(lambda s:
    json.dumps(list(s), ensure_ascii=False))``, written by Arrow kernels over every item at
    once (a province's 70,000 late dossier ids as Python lists, then as JSON, cost ten
    times more). Rows without a key are left out, as ``groupby`` leaves them."""
    keys = arrow_texts(by)
    texts = arrow_texts(items)
    if keys.null_count:
        texts, keys = texts.filter(keys.is_valid()), keys.filter(keys.is_valid())
    if len(keys) > 1 and pc.any(pc.less(keys[1:], keys[:-1])).as_py():
        order = pc.sort_indices(keys)  # stable: items keep their order within a key
        keys, texts = keys.take(order), texts.take(order)
    starts = np.flatnonzero(np.r_[True, pc.not_equal(keys[1:], keys[:-1]).to_numpy(
        zero_copy_only=False)]) if len(keys) else np.zeros(0, dtype=np.int64)
    lists = pa.LargeListArray.from_arrays(pa.array(np.r_[starts, len(keys)], pa.int64()),
                                          texts)
    return pd.Series(_json_lists_of(lists).to_numpy(zero_copy_only=False),
                     index=pd.Index(keys.take(starts).to_numpy(zero_copy_only=False),
                                    dtype=object), dtype=object)


def number_texts(values: pd.Series) -> pd.Series:
    """Each number as the notes show it (``{:g}``: 12, 4.5, 66.6667), formatting each
    distinct value once (scores repeat)."""
    return pd.Series(number_arrow_texts(values).to_numpy(zero_copy_only=False),
                     index=values.index, dtype=object)


def to_json(value: object) -> str:
    """The one JSON form of a finding's params or evidence (stored, compared, exported)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def json_texts(values: pd.Series | pd.DataFrame) -> pd.Series:
    """A findings column of typed values (dicts, lists) as JSON texts; text is taken as
    JSON already written. Lists of strings (evidence ids, a province's worth) are written
    by Arrow kernels over all their items at once; any other value is written once per
    object (a rule's params given once for every row is one object).

    A frame is one object per row, a key per column, written as :func:`to_json` writes the
    row's dict (native values, keys sorted); columns of numbers, booleans and text without
    blanks are written by Arrow kernels (the core's quota and cap params, thousands of rows
    that differ in every row), a row of any other kind by ``json.dumps``."""
    if isinstance(values, pd.DataFrame):
        return _json_objects(values)
    objects = values.to_numpy(dtype=object)
    out = np.empty(len(objects), dtype=object)
    kinds = np.fromiter(map(type, objects), dtype=object, count=len(objects))
    # JSON a plugin wrote (a province's evidence lists): taken as it is, without a look-up
    is_text = np.equal(kinds, str)  # elementwise over the column
    out[is_text] = objects[is_text]
    is_list = np.equal(kinds, list)
    rows = np.flatnonzero(is_list)
    if len(rows):
        string_lists = _string_lists(objects[rows])
        if string_lists is not None:
            out[rows] = _json_lists_of(string_lists).to_numpy(zero_copy_only=False)
            rows = rows[:0]
    rest = np.union1d(np.flatnonzero(~is_list & ~is_text), rows)
    if len(rest):
        others = objects[rest]
        # one text per distinct object: ids are unique while ``objects`` holds them all
        ids = np.fromiter(map(id, others), dtype=np.uint64, count=len(others))
        _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
        texts = np.array([v if isinstance(v, str) else to_json(v) for v in others[first]],
                         dtype=object)
        out[rest] = texts[inverse.reshape(-1)]
    return pd.Series(out, index=values.index, dtype=object)


def _json_objects(frame: pd.DataFrame) -> pd.Series:
    """:func:`json_texts` of a frame: one JSON object per row, keys sorted."""
    keys = list(frame.columns)
    columns = [_json_values(frame[key]) for key in sorted(keys)] \
        if all(isinstance(k, str) for k in keys) and len(set(keys)) == len(keys) else [None]
    if len(frame) == 0 or any(c is None for c in columns):
        texts = [to_json(row) for row in frame.to_dict("records")]
        return pd.Series(texts, index=frame.index, dtype=object)
    parts: list[str | pa.Array] = []
    for i, (key, column) in enumerate(zip(sorted(keys), columns, strict=True)):
        parts += [("{" if i == 0 else ", ") + json.dumps(key, ensure_ascii=False) + ": ",
                  column]
    texts = concat_texts(*parts, "}") if keys else pa.array(["{}"] * len(frame), TEXT)
    return pd.Series(texts.to_numpy(zero_copy_only=False), index=frame.index, dtype=object)


def _json_values(column: pd.Series) -> pa.Array | None:
    """Each value of a typed column as JSON text, as ``json.dumps`` writes its native
    value; None for a column of another kind (nullable, dates, objects) or with blanks."""
    kind = column.dtype
    if isinstance(kind, np.dtype) and kind.kind == "b":
        return pc.if_else(pa.array(column.to_numpy()), pa.scalar("true", TEXT),
                          pa.scalar("false", TEXT))
    if isinstance(kind, np.dtype) and kind.kind in "iu":
        return pa.array(column.to_numpy()).cast(TEXT)
    if isinstance(kind, np.dtype) and kind.kind == "f":
        # as json.dumps writes a float: a finite one (x - x == 0) by its repr, which is all
        # json.dumps does with it at ten times the cost; NaN and ±Infinity by json.dumps
        return distinct_float_texts(column.to_numpy(),
                                    lambda x: repr(x) if x - x == 0 else json.dumps(x))
    if (kind is np.dtype(object) or isinstance(kind, pd.StringDtype)) \
            and pd.api.types.infer_dtype(column, skipna=False) == "string":
        return json_arrow_strings(column)
    return None


def _string_lists(lists: np.ndarray) -> pa.ListArray | None:
    """Lists whose items are all strings as one Arrow list array; None when any item is
    something else (a number, None, a nested value): json.dumps writes those."""
    try:
        array = pa.array(lists.tolist())
    # Arrow refuses what is not text it can store (mixed kinds, a huge int, a lone surrogate)
    except (ValueError, TypeError, OverflowError):
        return None
    if array.type == pa.list_(pa.null()) and array.flatten().null_count == 0:
        return array.cast(pa.list_(pa.string()))  # only empty lists
    if array.type != pa.list_(pa.string()) or array.flatten().null_count:
        return None
    return array


def _json_lists_of(lists: pa.ListArray) -> pa.Array:
    """Each list of strings as ``json.dumps(list, ensure_ascii=False)`` writes it."""
    items = json_arrow_strings(lists.flatten())
    offsets = pa.array(np.asarray(lists.offsets) - lists.offsets[0].as_py(), pa.int64())
    joined = pc.binary_join(pa.LargeListArray.from_arrays(offsets, items), pa.scalar(", ", TEXT))
    return concat_texts("[", joined, "]")


def is_in(values: pd.Series, allowed: pd.Series) -> np.ndarray:
    """``values.isin(allowed)`` through one pyarrow hash set: pandas 3's ``isin`` of a
    pyarrow-backed string column makes a Python scalar of every value looked for (≈ 1 s
    per 100,000; 11 s of a 50 s ``--by-unit`` run). Columns that are not all text (a
    plugin's numeric key) are left to pandas."""
    try:
        found = pc.is_in(pa.array(values, TEXT, from_pandas=True),
                         value_set=pa.array(allowed, TEXT, from_pandas=True))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return values.isin(allowed).to_numpy(dtype=bool)
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def pair_keys(first: pd.Series, second: pd.Series) -> pa.Array:
    """One text key per row for a pair of text columns (official and period), to look
    pairs up with :func:`pairs_in`."""
    return pc.binary_join_element_wise(pa.array(first, TEXT, from_pandas=True),
                                       pa.array(second, TEXT, from_pandas=True),
                                       pa.scalar("\x1f", TEXT))


def pairs_in(keys: pa.Array, allowed: pa.Array) -> np.ndarray:
    """Which of ``keys`` (from :func:`pair_keys`) are among ``allowed``."""
    return pc.fill_null(pc.is_in(keys, value_set=allowed), False).to_numpy(
        zero_copy_only=False)


# --- texts as Arrow arrays: a text column of a million rows built by C kernels ------------


def arrow_texts(values: pd.Series | np.ndarray | list | pa.Array | pa.ChunkedArray
                ) -> pa.Array:
    """A text column as one Arrow ``large_string`` array (pandas' Arrow-backed columns may
    come in several chunks)."""
    array = values if isinstance(values, pa.Array | pa.ChunkedArray) \
        else pa.array(values, TEXT, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(TEXT)


def number_text(value: float) -> str:
    """One number as the notes show it (``{:g}``: 12, 4.5, 66.6667, -0): the one writer of
    a number in a note, for one value or (:func:`number_texts`) a column."""
    return f"{value:g}"


def number_arrow_texts(values: pd.Series | np.ndarray) -> pa.Array:
    """:func:`number_texts` as an Arrow array: each distinct value formatted once (found by
    hashing, not sorting: a million values)."""
    return distinct_float_texts(values, number_text)


def distinct_float_texts(values: pd.Series | np.ndarray, write: Callable[[float], str]
                         ) -> pa.Array:
    """Each number written by ``write``, each distinct value once (scores repeat; found by
    hashing, not sorting: a million values), told apart by its bits: -0.0 is not 0.0."""
    bits = np.ascontiguousarray(np.asarray(values, dtype=np.float64)).view(np.int64)
    codes, distinct = pd.factorize(bits, use_na_sentinel=False)
    texts = pa.array([write(x) for x in np.asarray(distinct).view(np.float64).tolist()], TEXT)
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
