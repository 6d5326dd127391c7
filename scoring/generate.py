"""Deterministic synthetic input datasets in the SPEC §3 CSV format.

Used for demos, benchmarks and tests at province scale (50,000 officials, 2,000,000
dossiers) up to national scale (2,000,000 officials, 100,000,000 dossiers).

Design choices that matter for callers:

* Every table draws from its own random stream (``default_rng([seed, stream, ...])``), so
  changing the number of dossiers never changes the officials, and the reminders do not
  shift when the discipline proportions are tuned.
* Dossiers are drawn in fixed blocks of ``_DOSSIER_BLOCK_ROWS`` rows, each block with its
  own stream. ``chunk_rows`` only decides how many rows are held in memory and written at
  once, so any chunk size yields byte-identical files.
* Text columns are assembled as fixed-width byte matrices or Arrow ``take``/``join``
  kernels and written by the Arrow CSV writer: no Python code runs per row.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .errors import XeploaiError

__all__ = ["COLUMNS", "FILES", "PRODUCT_COLUMNS", "PRODUCT_FILES", "generate_dataset"]

#: Canonical column names and order per table (SPEC §3).
COLUMNS: dict[str, tuple[str, ...]] = {
    "units": ("unit_id", "name", "parent_id", "tier"),
    "officials": (
        "official_id",
        "full_name",
        "unit_id",
        "staff_type",
        "peer_group",
        "is_leader",
        "months_worked",
        "maternity_leave",
        "task_score",
        "months_absent",
        "recruited_on",
    ),
    "dossiers": (
        "dossier_id",
        "procedure_code",
        "unit_id",
        "handler_id",
        "received_at",
        "due_at",
        "returned_at",
        "late_cause",
        "apology_issued",
    ),
    "reminders": ("reminder_id", "official_id", "issued_on", "kind", "subject", "document_no"),
    "discipline": (
        "decision_id",
        "official_id",
        "form",
        "authority",
        "decided_on",
        "violation_on",
        "document_no",
        "violation_id",
        "counted_in_year",
    ),
    "innovations": (
        "award_id",
        "official_id",
        "title",
        "kind",
        "level",
        "recognized_on",
        "document_no",
        "cchc",
    ),
    "titles_history": ("official_id", "year", "title"),
}

#: Output file per table, in the order they are written and reported.
FILES: dict[str, str] = {name: f"{name}.csv" for name in COLUMNS}

#: The tables of the products regime (SPEC §10), written for years from
#: :data:`FIRST_PRODUCTS_YEAR`, after the others.
PRODUCT_COLUMNS: dict[str, tuple[str, ...]] = {
    "periods": ("official_id", "period", "unit_id", "general_score", "leader_dd", "leader_e"),
    "work_items": ("item_id", "official_id", "period", "product_code", "coefficient",
                   "assigned_qty", "done_qty", "major_errors", "delays", "cause",
                   "exemption_confirmed_by", "dossier_id"),
}
PRODUCT_FILES: dict[str, str] = {name: f"{name}.csv" for name in PRODUCT_COLUMNS}
# Decree 335/2025 scores công chức from work products from 2026; the district level
# ended on 1 July 2025 (SPEC §10)
FIRST_PRODUCTS_YEAR = 2026

# Peer-group codes; the integers index _PEER_GROUPS.
LANH_DAO, MOT_CUA, CHUYEN_VIEN = 0, 1, 2
_PEER_GROUPS = ("lanh_dao", "mot_cua", "chuyen_vien")
_TIERS = ("tinh", "huyen", "xa")
_STAFF_TYPES = ("can_bo", "cong_chuc", "vien_chuc")
_LATE_CAUSES = ("", "chu_quan", "phan_mem", "khach_quan")
_FORMS = ("khien_trach", "canh_cao", "ha_bac_luong", "giang_chuc", "cach_chuc", "buoc_thoi_viec")
_FORM_P = (0.60, 0.25, 0.05, 0.04, 0.04, 0.02)
_AUTHORITIES = ("chinh_quyen", "dang")
_KINDS = ("sang_kien", "de_tai")
_LEVELS = ("co_so", "tinh", "toan_quoc")
_OTHER_SUBJECTS = ("thai_do_phuc_vu", "bao_cao_cham", "ky_luat_lao_dong", "sai_quy_trinh")

# Independent random streams, one per table (see module docstring).
_S_UNITS, _S_OFFICIALS, _S_DOSSIERS, _S_REMINDERS = 1, 2, 3, 4
_S_DISCIPLINE, _S_INNOVATIONS, _S_HISTORY, _S_PROCEDURES = 5, 6, 7, 8
_S_PRODUCTS = 9

#: Rows per random block of dossiers; part of the output definition (changing it
#: changes the bytes), unlike ``chunk_rows``.
_DOSSIER_BLOCK_ROWS = 100_000
DEFAULT_CHUNK_ROWS = 100_000

_MINUTES_PER_DAY = 1440
_OFFICE_OPEN, _OFFICE_CLOSE = 7 * 60 + 30, 17 * 60  # 07:30 and 17:00
# Legal processing times (calendar days) of common procedures and how often they occur;
# never 0 so that a date-only due_at is never before the received datetime.
_PROCESSING_DAYS = np.array([1, 2, 3, 5, 7, 10, 15, 20, 30])
_PROCESSING_P = np.array([0.10, 0.10, 0.20, 0.15, 0.15, 0.12, 0.10, 0.05, 0.03])

_WRITE_OPTIONS = pacsv.WriteOptions(
    include_header=True, quoting_style="none", quoting_header="none"
)


def _nfc(items: tuple[str, ...]) -> tuple[str, ...]:
    # Source files may be saved decomposed by some editors; readers compare NFC text.
    return tuple(unicodedata.normalize("NFC", s) for s in items)


# Approximate frequencies of Vietnamese family names (per cent).
_FAMILY = _nfc(
    (
        "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
        "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương", "Lâm", "Mai",
        "Đoàn", "Cao", "Lương", "Tô", "Hà", "Tạ", "Châu", "Thái", "Quách", "Kiều",
    )
)  # fmt: skip
_FAMILY_P = np.array(
    [38, 11, 9.5, 7.1, 4.2, 3.9, 4.5, 2, 3.9, 2.1, 2, 1.4, 1.3, 1.3, 1, 0.5, 0.6, 0.8,
     0.4, 0.4, 0.5, 0.4, 0.4, 0.2, 0.4, 0.2, 0.3, 0.2, 0.1, 0.1]
)  # fmt: skip
_MIDDLE_M = _nfc(("Văn", "Hữu", "Đức", "Minh", "Quang", "Công", "Thanh", "Ngọc", "Xuân",
                  "Đình", "Quốc", "Trọng", "Anh"))  # fmt: skip
_MIDDLE_M_P = np.array([40, 8, 8, 10, 6, 6, 6, 4, 4, 5, 5, 4, 3])
_MIDDLE_F = _nfc(("Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Phương", "Hồng", "Bích",
                  "Minh", "Thùy"))  # fmt: skip
_MIDDLE_F_P = np.array([55, 8, 6, 6, 5, 4, 4, 4, 3, 3, 2])
_GIVEN_M = _nfc(
    (
        "An", "Bình", "Cường", "Dũng", "Đạt", "Đức", "Giang", "Hải", "Hiếu", "Hòa",
        "Hùng", "Huy", "Khánh", "Khoa", "Kiên", "Long", "Lâm", "Minh", "Nam", "Nghĩa",
        "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Thiện", "Toàn",
        "Trí", "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Vũ", "Hoàng", "Tâm", "Lộc",
    )
)  # fmt: skip
_GIVEN_F = _nfc(
    (
        "Anh", "Ánh", "Bích", "Chi", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng",
        "Hiền", "Hoa", "Hồng", "Hương", "Huyền", "Lan", "Liên", "Linh", "Loan", "Mai",
        "My", "Nga", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương", "Quyên", "Thảo", "Thu",
        "Thủy", "Trang", "Trâm", "Tuyết", "Uyên", "Vân", "Vy", "Yến", "Nhi", "Diệp",
    )
)  # fmt: skip

# Bình Định first: a one-province dataset is the province the product is built for.
_PROVINCES = _nfc(
    (
        "tỉnh Bình Định", "thành phố Hà Nội", "thành phố Hồ Chí Minh", "thành phố Hải Phòng",
        "thành phố Đà Nẵng", "thành phố Cần Thơ", "tỉnh An Giang", "tỉnh Bà Rịa - Vũng Tàu",
        "tỉnh Bắc Giang", "tỉnh Bắc Kạn", "tỉnh Bạc Liêu", "tỉnh Bắc Ninh", "tỉnh Bến Tre",
        "tỉnh Bình Dương", "tỉnh Bình Phước", "tỉnh Bình Thuận", "tỉnh Cà Mau",
        "tỉnh Cao Bằng", "tỉnh Đắk Lắk", "tỉnh Đắk Nông", "tỉnh Điện Biên", "tỉnh Đồng Nai",
        "tỉnh Đồng Tháp", "tỉnh Gia Lai", "tỉnh Hà Giang", "tỉnh Hà Nam", "tỉnh Hà Tĩnh",
        "tỉnh Hải Dương", "tỉnh Hậu Giang", "tỉnh Hòa Bình", "tỉnh Hưng Yên",
        "tỉnh Khánh Hòa", "tỉnh Kiên Giang", "tỉnh Kon Tum", "tỉnh Lai Châu", "tỉnh Lâm Đồng",
        "tỉnh Lạng Sơn", "tỉnh Lào Cai", "tỉnh Long An", "tỉnh Nam Định", "tỉnh Nghệ An",
        "tỉnh Ninh Bình", "tỉnh Ninh Thuận", "tỉnh Phú Thọ", "tỉnh Phú Yên",
        "tỉnh Quảng Bình", "tỉnh Quảng Nam", "tỉnh Quảng Ngãi", "tỉnh Quảng Ninh",
        "tỉnh Quảng Trị", "tỉnh Sóc Trăng", "tỉnh Sơn La", "tỉnh Tây Ninh", "tỉnh Thái Bình",
        "tỉnh Thái Nguyên", "tỉnh Thanh Hóa", "tỉnh Thừa Thiên Huế", "tỉnh Tiền Giang",
        "tỉnh Trà Vinh", "tỉnh Tuyên Quang", "tỉnh Vĩnh Long", "tỉnh Vĩnh Phúc",
        "tỉnh Yên Bái",
    )
)  # fmt: skip
_DEPARTMENTS = _nfc(
    (
        "Sở Nội vụ", "Sở Tư pháp", "Sở Kế hoạch và Đầu tư", "Sở Tài chính", "Sở Công Thương",
        "Sở Nông nghiệp và Phát triển nông thôn", "Sở Giao thông vận tải", "Sở Xây dựng",
        "Sở Tài nguyên và Môi trường", "Sở Thông tin và Truyền thông",
        "Sở Lao động - Thương binh và Xã hội", "Sở Văn hóa và Thể thao",
        "Sở Khoa học và Công nghệ", "Sở Giáo dục và Đào tạo", "Sở Y tế", "Sở Du lịch",
        "Sở Ngoại vụ", "Thanh tra", "Ban Dân tộc", "Ban Quản lý Khu kinh tế",
        "Trung tâm Phục vụ hành chính công", "Văn phòng Đoàn ĐBQH và HĐND",
    )
)  # fmt: skip
_PLACE_SYLLABLES = _nfc(
    (
        "An", "Bình", "Phù", "Cát", "Mỹ", "Hoài", "Nhơn", "Tây", "Sơn", "Vân", "Canh", "Tuy",
        "Phước", "Hòa", "Thạnh", "Lộc", "Xuân", "Đức", "Phong", "Hưng", "Tân", "Long",
        "Thuận", "Quang", "Trung", "Hải", "Nghĩa", "Thành", "Vĩnh", "Khánh", "Định", "Lợi",
        "Hiệp", "Thái", "Phú", "Đông", "Nam", "Bắc", "Lương", "Kim",
    )
)  # fmt: skip
_DISTRICT_PREFIX = _nfc(("UBND huyện", "UBND thị xã", "UBND thành phố"))
_DISTRICT_PREFIX_P = (0.80, 0.12, 0.08)
_COMMUNE_PREFIX = _nfc(("UBND xã", "UBND phường", "UBND thị trấn"))
_COMMUNE_PREFIX_P = (0.80, 0.15, 0.05)
_INNOVATION_PREFIX = _nfc(("Sáng kiến", "Đề tài nghiên cứu giải pháp"))
_INNOVATION_ACTIONS = _nfc(
    (
        "ứng dụng phần mềm quản lý", "số hóa", "rút ngắn thời gian giải quyết",
        "chuẩn hóa quy trình tiếp nhận", "nâng cao chất lượng", "tự động nhắc hạn xử lý",
        "công khai trực tuyến", "liên thông điện tử",
    )
)  # fmt: skip
_INNOVATION_OBJECTS = _nfc(
    (
        "hồ sơ một cửa", "hồ sơ đất đai", "thủ tục hộ tịch", "hồ sơ đăng ký kinh doanh",
        "văn bản đi và đến", "thủ tục cấp phép xây dựng", "hồ sơ bảo trợ xã hội",
        "thủ tục hành chính cấp xã",
    )
)  # fmt: skip
_AWARD_DOC_SUFFIX = _nfc(("/QĐ-HĐSK", "/QĐ-UBND", "/QĐ-BNV"))  # by level
_DECISION_DOC_SUFFIX = _nfc(("/QĐ-UBND", "-QĐ/UBKT"))  # by authority


# --------------------------------------------------------------------------- helpers


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, *keys])


def _labels(items: tuple[str, ...]) -> pa.Array:
    return pa.array(items, type=pa.string())


def _take(items: tuple[str, ...] | pa.Array, idx: np.ndarray) -> pa.Array:
    labels = items if isinstance(items, pa.Array) else _labels(items)
    return labels.take(pa.array(idx, type=pa.int64()))


def _join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    return pc.binary_join_element_wise(*parts, sep)


def _int_text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values, type=pa.int64()), pa.string())


# ASCII digits of 0000–9999: one table gather yields four digits at a time, which is
# several times faster than peeling digits off with % and // per position.
_GROUP4 = np.array([list(f"{i:04d}".encode()) for i in range(10_000)], dtype=np.uint8)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits as a (n, width) uint8 matrix of ASCII codes."""
    out = np.empty((len(values), width), dtype=np.uint8)
    rest = np.asarray(values, dtype=np.int64)
    col = width
    while col > 0:  # at most a few groups of four digits, never a loop over rows
        take = min(4, col)
        out[:, col - take : col] = _GROUP4[rest % 10**take][:, 4 - take :]
        rest = rest // 10**take
        col -= take
    return out


def _fixed_strings(
    parts: list[np.ndarray | bytes], n: int, valid: np.ndarray | None = None
) -> pa.Array:
    """Concatenate fixed-width byte columns into an Arrow string array without Python
    objects: ids and timestamps are fixed width, so offsets are a simple arange."""
    widths = [len(p) if isinstance(p, bytes) else p.shape[1] for p in parts]
    total = sum(widths)
    matrix = np.empty((n, total), dtype=np.uint8)
    col = 0
    for part, width in zip(parts, widths, strict=True):
        if isinstance(part, bytes):
            matrix[:, col : col + width] = np.frombuffer(part, dtype=np.uint8)
        else:
            matrix[:, col : col + width] = part
        col += width
    offsets = np.arange(n + 1, dtype=np.int64) * total
    bitmap = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(matrix.reshape(-1)), bitmap
    )


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    return _fixed_strings([prefix.encode(), _digits(numbers, width)], len(numbers))


def _id_width(count: int, minimum: int) -> int:
    return max(minimum, len(str(max(count, 1))))


def _dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Days since 1970-01-01 as an Arrow date32 (written as YYYY-MM-DD)."""
    values = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    return pa.array(values, mask=None if valid is None else ~valid)


# 'HH:MM' for every minute of the day.
_TIME_OF_DAY = np.concatenate(
    [_digits(np.arange(1440) // 60, 2), np.full((1440, 1), ord(":"), np.uint8),
     _digits(np.arange(1440) % 60, 2)],
    axis=1,
)  # fmt: skip


def _date_bytes(days: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD' as a (n, 10) uint8 matrix, computed per calendar day."""
    day64 = days.astype("datetime64[D]")
    month64 = day64.astype("datetime64[M]")
    year = month64.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month64.astype(np.int64) % 12 + 1
    day = (day64 - month64.astype("datetime64[D]")).astype(np.int64) + 1
    dash = np.full((len(days), 1), ord("-"), np.uint8)
    return np.concatenate([_digits(year, 4), dash, _digits(month, 2), dash, _digits(day, 2)],
                          axis=1)  # fmt: skip


def _datetimes(minutes: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Minutes since the epoch as 'YYYY-MM-DD HH:MM' text (Arrow would add seconds)."""
    days = minutes // _MINUTES_PER_DAY
    of_day = minutes - days * _MINUTES_PER_DAY
    if len(days) == 0:
        return _fixed_strings([b""], 0)
    # Dossier dates span a few years: format each distinct day once, then gather.
    first = int(days.min())
    table = _date_bytes(np.arange(first, int(days.max()) + 1))
    parts: list[np.ndarray | bytes] = [table[days - first], b" ", _TIME_OF_DAY[of_day]]
    return _fixed_strings(parts, len(minutes), valid)


def _day(year: int, month: int = 1, day: int = 1) -> int:
    return int(np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D").astype(np.int64))


def _year_of(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _days_in_years(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    """A uniformly drawn day inside each given calendar year."""
    starts = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    ends = (years - 1969).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    return starts + np.floor(rng.random(len(years)) * (ends - starts)).astype(np.int64)


def _choice(rng: np.random.Generator, p: tuple[float, ...] | np.ndarray, n: int) -> np.ndarray:
    """Categorical draws by inverse CDF: one uniform per row, cheap and vectorised."""
    cdf = np.cumsum(np.asarray(p, dtype=np.float64))
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


def _weighted_sample(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """k distinct indices, P ∝ weight (Efraimidis–Spirakis keys), ascending."""
    k = min(k, len(weights))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        keys = np.log(rng.random(len(weights))) / weights
    keys = np.nan_to_num(keys, nan=-np.inf)
    return np.sort(np.argpartition(-keys, k - 1)[:k])


def _weekday(days: np.ndarray) -> np.ndarray:
    # 1970-01-01 was a Thursday; 0 = Monday.
    return (days + 3) % 7


def _write_csv(path: Path, table: pa.Table) -> None:
    pacsv.write_csv(table, path, write_options=_WRITE_OPTIONS)


def _table(name: str, arrays: list[pa.Array]) -> pa.Table:
    return pa.Table.from_arrays(arrays, names=list({**COLUMNS, **PRODUCT_COLUMNS}[name]))


# ----------------------------------------------------------------------------- units


@dataclass(frozen=True)
class _Units:
    ids: pa.Array
    tier: np.ndarray  # index into _TIERS
    sizes: np.ndarray  # officials per unit, in unit order
    table: pa.Table


def _draw_sizes(rng: np.random.Generator, total: int, low: int, high: int) -> np.ndarray:
    """Unit sizes in [low, high] summing exactly to total (the last one trimmed)."""
    if total <= 0:
        return np.zeros(0, dtype=np.int64)
    sizes = rng.integers(low, high + 1, total // low + 1)
    cum = np.cumsum(sizes)
    last = int(np.searchsorted(cum, total))
    sizes = sizes[: last + 1].copy()
    sizes[-1] -= cum[last] - total
    if len(sizes) > 1 and sizes[-1] < low // 2:
        # A stub unit of a handful of people is unrealistic; fold it into its neighbour.
        sizes[-2] += sizes[-1]
        sizes = sizes[:-1]
    return sizes


def _place_names(
    rng: np.random.Generator, prefixes: tuple[str, ...], p: tuple[float, ...], n: int
) -> pa.Array:
    first = rng.integers(0, len(_PLACE_SYLLABLES), n)
    # Offset by 1..L-1 so a name never repeats its own syllable ("An An").
    second = (first + rng.integers(1, len(_PLACE_SYLLABLES), n)) % len(_PLACE_SYLLABLES)
    return _join(
        _take(prefixes, _choice(rng, p, n)),
        _take(_PLACE_SYLLABLES, first),
        _take(_PLACE_SYLLABLES, second),
        sep=" ",
    )


def _build_units(seed: int, n_officials: int, districts: bool = True) -> _Units:
    """Province HQ + departments (tinh), districts (huyen), communes (xa) under districts.

    About 30 % of officials work in province departments (40–200 each), 25 % in district
    people's committees (40–150) and 45 % in communes (10–30). One province per 50,000
    officials (at most 63), so the national scale has realistic provinces. Without
    ``districts`` (years after 2025) the district committees are communes too and every
    commune is under its province's committee."""
    rng = _rng(seed, _S_UNITS)
    n = n_officials
    tinh_total = max(1, round(0.30 * n))
    huyen_total = min(round(0.25 * n), n - tinh_total)
    xa_total = n - tinh_total - huyen_total
    if huyen_total == 0:
        # Communes need a district above them; tiny datasets are province-level only.
        tinh_total, xa_total = tinh_total + xa_total, 0
    dept = _draw_sizes(rng, tinh_total, 40, 200)
    dist = _draw_sizes(rng, huyen_total, 40, 150)
    comm = _draw_sizes(rng, xa_total, 10, 30)
    nd, nh, nx = len(dept), len(dist), len(comm)
    n_prov = min(len(_PROVINCES), max(1, math.ceil(n / 50_000)), nd)

    # Pre-sort layout: departments (the first n_prov are the province headquarters),
    # then districts, then communes.
    d_idx, h_idx, x_idx = np.arange(nd), np.arange(nh), np.arange(nx)
    dept_prov = d_idx % n_prov
    dist_prov = h_idx % n_prov
    comm_dist = x_idx % nh if nh else np.zeros(0, dtype=np.int64)
    comm_prov = dist_prov[comm_dist]
    prov = np.concatenate([dept_prov, dist_prov, comm_prov])
    tier = np.concatenate([np.zeros(nd, np.int64), np.ones(nh, np.int64), np.full(nx, 2)])
    parent = np.concatenate([np.where(d_idx < n_prov, -1, dept_prov), dist_prov,
                             nd + comm_dist if districts else comm_prov])
    if not districts:
        tier = np.where(tier == 1, 2, tier)
    # Hierarchical reading order: HQ, departments, then each district with its communes.
    major = np.concatenate([np.where(d_idx < n_prov, 0, 1), np.full(nh + nx, 2)])
    sub = np.concatenate([np.zeros(nd, np.int64), h_idx, comm_dist])
    minor = np.concatenate([d_idx, np.zeros(nh, np.int64), 1 + x_idx])
    order = np.lexsort((minor, sub, major, prov))
    position = np.empty_like(order)
    position[order] = np.arange(len(order))

    k = np.maximum((d_idx - dept_prov) // n_prov - 1, 0)  # department's rank in province
    dept_base = _take(_DEPARTMENTS, k % len(_DEPARTMENTS))
    dept_suffix = pc.if_else(
        pa.array(k >= len(_DEPARTMENTS)),
        _join(" - đơn vị ", _int_text(k // len(_DEPARTMENTS) + 1)),
        "",
    )
    dept_names = pc.if_else(
        pa.array(d_idx < n_prov),
        _join("UBND ", _take(_PROVINCES, dept_prov)),
        _join(dept_base, " ", _take(_PROVINCES, dept_prov), dept_suffix),
    )
    names = pa.concat_arrays(
        [
            dept_names.cast(pa.string()),
            _place_names(rng, _DISTRICT_PREFIX, _DISTRICT_PREFIX_P, nh).cast(pa.string()),
            _place_names(rng, _COMMUNE_PREFIX, _COMMUNE_PREFIX_P, nx).cast(pa.string()),
        ]
    ).take(pa.array(order))

    n_units = len(order)
    ids = _ids("DV", np.arange(1, n_units + 1), _id_width(n_units, 5))
    parent_sorted = parent[order]
    has_parent = parent_sorted >= 0
    parent_ids = ids.take(pa.array(np.where(has_parent, position[parent_sorted], 0)))
    parent_ids = pc.if_else(pa.array(has_parent), parent_ids, pa.scalar(None, pa.large_string()))
    tier_sorted = tier[order]
    table = _table("units", [ids, names, parent_ids, _take(_TIERS, tier_sorted)])
    sizes = np.concatenate([dept, dist, comm])[order]
    return _Units(ids=ids, tier=tier_sorted, sizes=sizes, table=table)


# ------------------------------------------------------------------------- officials


@dataclass(frozen=True)
class _Officials:
    ids: pa.Array
    unit: np.ndarray  # unit index per official
    peer: np.ndarray  # index into _PEER_GROUPS
    score: np.ndarray
    propensity: np.ndarray  # relative tendency to let dossiers run late (mean 1)
    recruited: np.ndarray  # bool: recruited during the year (no earlier history)
    staff: np.ndarray  # index into _STAFF_TYPES
    leader: np.ndarray  # bool
    recruit_day: np.ndarray  # day number of recruitment (meaningful where recruited)


def _build_officials(seed: int, year: int, units: _Units) -> tuple[_Officials, pa.Table]:
    # The table is returned apart so the caller can drop it once written: at national
    # scale it is a few hundred MB that the dossier phase does not need.
    rng = _rng(seed, _S_OFFICIALS)
    n = int(units.sizes.sum())
    unit = np.repeat(np.arange(len(units.sizes)), units.sizes)
    starts = np.concatenate([[0], np.cumsum(units.sizes)[:-1]])
    rank = np.arange(n) - starts[unit]  # position inside the unit
    tier = units.tier[unit]

    # Peer groups: every unit has a head (rank 0) and, from two people up, a one-stop
    # clerk (rank 1), so every unit can receive dossiers; then ~7 % more leaders and
    # ~24 % more clerks, giving about a quarter of officials at the one-stop desk.
    u = rng.random(n)
    leader = (rank == 0) | ((rank >= 2) & (u < 0.07))
    clerk = ~leader & ((rank == 1) | (u < 0.31))
    peer = np.where(leader, LANH_DAO, np.where(clerk, MOT_CUA, CHUYEN_VIEN))

    u_staff = rng.random(n)
    staff = np.where(
        leader,
        # Elected commune leaders are can_bo; elsewhere most leaders are career cong_chuc.
        np.where(u_staff < np.where(tier == 2, 0.7, 0.15), 0, 1),
        np.where(~clerk & (u_staff < np.where(tier == 0, 0.15, 0.05)), 2, 1),
    )

    female = rng.random(n) < 0.55
    family = _choice(rng, _FAMILY_P, n)
    middle_m = _choice(rng, _MIDDLE_M_P, n)
    middle_f = _choice(rng, _MIDDLE_F_P, n)
    given = rng.integers(0, len(_GIVEN_M), n)  # both given-name lists have 40 entries
    full_name = _join(
        _take(_FAMILY, family),
        pc.if_else(pa.array(female), _take(_MIDDLE_F, middle_f), _take(_MIDDLE_M, middle_m)),
        pc.if_else(pa.array(female), _take(_GIVEN_F, given), _take(_GIVEN_M, given)),
        sep=" ",
    )

    # Service time, in tenths of a month to keep every sum exact.
    year_start, year_end = _day(year), _day(year + 1)
    category = rng.random(n)
    recruit_day = year_start + rng.integers(0, year_end - year_start, n)
    maternity_worked = rng.integers(30, 101, n)  # 3.0–10.0 months actually worked
    long_absence = rng.integers(30, 60, n)  # 3.0–5.9 months of leave → HTNV ceiling
    short_worked = rng.integers(0, 60, n)  # 0.0–5.9 months on duty → KXL
    short_leave = rng.random(n) < 0.5
    minor_absence = rng.integers(1, 30, n)  # 0.1–2.9 months: no effect
    recruited = category < 0.02
    maternity = (category >= 0.02) & (category < 0.038) & female
    absent_36 = (category >= 0.038) & (category < 0.058)
    short = (category >= 0.058) & (category < 0.068)
    minor = (category >= 0.068) & (category < 0.12)

    worked_t = np.full(n, 120, dtype=np.int64)
    absent_t = np.zeros(n, dtype=np.int64)
    # Months before recruitment are not leave: only months_worked shrinks (rounded down).
    worked_t = np.where(
        recruited, (year_end - recruit_day) * 120 // (year_end - year_start), worked_t
    )
    worked_t = np.where(maternity, maternity_worked, worked_t)
    worked_t = np.where(absent_36, 120 - long_absence, worked_t)
    absent_t = np.where(absent_36, long_absence, absent_t)
    worked_t = np.where(short, short_worked, worked_t)
    absent_t = np.where(short & short_leave, 120 - short_worked, absent_t)
    worked_t = np.where(minor, 120 - minor_absence, worked_t)
    absent_t = np.where(minor, minor_absence, absent_t)

    score = np.clip(np.round(rng.normal(82.0, 8.0, n), 1), 0.0, 100.0)
    # Skewed (gamma, mean 1): a few clerks cause most late dossiers, as in the press
    # reports, so the repeat-offence rule has someone to catch.
    propensity = rng.gamma(0.5, 2.0, n)

    ids = _ids("CB", np.arange(1, n + 1), _id_width(n, 6))
    has_absence = absent_t > 0
    table = _table(
        "officials",
        [
            ids,
            full_name,
            units.ids.take(pa.array(unit)),
            _take(_STAFF_TYPES, staff),
            _take(_PEER_GROUPS, peer),
            pa.array(leader),
            pa.array(worked_t / 10.0),
            pa.array(maternity),
            # công chức scored from work products carry no task score (SPEC §10)
            pa.array(score, mask=(staff == 1) & (year >= FIRST_PRODUCTS_YEAR)),
            pa.array(absent_t / 10.0, mask=~has_absence),
            _dates(recruit_day, recruited),
        ],
    )
    officials = _Officials(
        ids=ids, unit=unit, peer=peer, score=score, propensity=propensity, recruited=recruited,
        staff=staff, leader=leader, recruit_day=recruit_day,
    )
    return officials, table


# -------------------------------------------------------------------------- dossiers


@dataclass(frozen=True)
class _DossierContext:
    seed: int
    year: int
    total: int
    clerks: np.ndarray
    others: np.ndarray
    official_unit: np.ndarray
    propensity: np.ndarray
    official_ids: pa.Array
    unit_ids: pa.Array
    procedure_codes: pa.Array
    procedure_p: np.ndarray
    id_width: int
    # the day the data are extracted (a run before the year ends, SPEC §10); None: 10
    # January of the next year
    extracted_day: int | None = None


def _procedure_codes(seed: int) -> tuple[pa.Array, np.ndarray]:
    """300 national procedure codes ('1.004227'-style) with Zipf-like popularity."""
    rng = _rng(seed, _S_PROCEDURES)
    n = 300
    numbers = rng.choice(np.arange(100, 13_000), n, replace=False)
    family = np.where(rng.random(n) < 0.8, ord("1"), ord("2")).astype(np.uint8)[:, None]
    codes = _fixed_strings([family, b".", _digits(numbers, 6)], n).cast(pa.string())
    popularity = 1.0 / np.arange(1, n + 1) ** 1.1
    return codes, popularity


def _dossier_block(ctx: _DossierContext, block: int) -> dict[str, np.ndarray]:
    """All random draws for one fixed block; every array is drawn at full length so the
    stream never depends on masks."""
    start = block * _DOSSIER_BLOCK_ROWS
    n = min(_DOSSIER_BLOCK_ROWS, ctx.total - start)
    rng = _rng(ctx.seed, _S_DOSSIERS, block)
    year_start, year_end = _day(ctx.year), _day(ctx.year + 1)

    # ~90 % handled (delaying step) by one-stop clerks, the rest by specialists/leaders;
    # the dossier's unit is the handler's unit by construction.
    by_clerk = rng.random(n) < 0.9
    clerk_pick = ctx.clerks[rng.integers(0, len(ctx.clerks), n)]
    other_pick = ctx.others[rng.integers(0, len(ctx.others), n)]
    handler = np.where(by_clerk, clerk_pick, other_pick)

    # Due dates: 94 % in the year, 3 % in the last two months before, 3 % in the first
    # six weeks after; weekends move to Monday.
    period = rng.random(n)
    due = year_start + rng.integers(0, year_end - year_start, n)
    due = np.where(period < 0.03, year_start - 1 - rng.integers(0, 61, n), due)
    due = np.where(period > 0.97, year_end + rng.integers(0, 46, n), due)
    wd = _weekday(due)
    due = due + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))
    if ctx.extracted_day is not None:
        # extracted before the year ends: dossiers are due from the year's start to the
        # extraction (the later ones wrap around into that span)
        span = max(ctx.extracted_day - year_start + 1, 1)
        due = np.where(due > ctx.extracted_day, year_start + (due - year_start) % span, due)
    received = due - _PROCESSING_DAYS[_choice(rng, _PROCESSING_P, n)]
    wd = _weekday(received)
    received = received - np.where(wd == 5, 1, np.where(wd == 6, 2, 0))
    received_min = received * _MINUTES_PER_DAY + rng.integers(_OFFICE_OPEN, _OFFICE_CLOSE, n)

    # Data are extracted on 10 January of the next year: a dossier due after that
    # cannot be late yet, so it gets no late cause or apology.
    extracted_day = year_end + 9 if ctx.extracted_day is None else ctx.extracted_day
    late = (rng.random(n) < np.minimum(0.04 * ctx.propensity[handler], 0.9)) & (
        due <= extracted_day
    )
    # On time: returned during office hours between reception and the due day, mostly
    # early; a same-day return comes after the reception time.
    received_tod = received_min - received * _MINUTES_PER_DAY
    ret_day = received + np.floor(rng.random(n) ** 2 * (due - received + 1)).astype(np.int64)
    ret_day = np.minimum(ret_day, due)
    u_tod = rng.random(n)
    ret_tod = np.where(
        ret_day == received,
        received_tod + np.floor(u_tod * (_OFFICE_CLOSE - received_tod)),
        _OFFICE_OPEN + np.floor(u_tod * (_OFFICE_CLOSE - _OFFICE_OPEN)),
    ).astype(np.int64)
    on_time_ret = ret_day * _MINUTES_PER_DAY + ret_tod
    delay = np.minimum(rng.geometric(0.3, n), 60)
    late_ret = (due + delay) * _MINUTES_PER_DAY + rng.integers(_OFFICE_OPEN, _OFFICE_CLOSE, n)
    returned = np.where(late, late_ret, on_time_ret)
    # Returns after the extraction are still open; ~15 % of late dossiers are simply
    # still pending.
    extracted = extracted_day * _MINUTES_PER_DAY + _OFFICE_CLOSE
    still_open = (late & (rng.random(n) < 0.15)) | (returned > extracted)

    cause = np.where(late, _choice(rng, (0.35, 0.35, 0.20, 0.10), n), 0)
    apology = late & (rng.random(n) < 0.5)
    procedure = _choice(rng, ctx.procedure_p, n)
    return {
        "number": np.arange(start + 1, start + n + 1),
        "procedure": procedure,
        "handler": handler,
        "received": received_min,
        "due": due,
        "returned": returned,
        "returned_valid": ~still_open,
        "cause": cause,
        "apology": apology,
    }


def _dossier_table(ctx: _DossierContext, first: int, stop: int) -> pa.Table:
    b0, b1 = first // _DOSSIER_BLOCK_ROWS, (stop - 1) // _DOSSIER_BLOCK_ROWS
    blocks = [_dossier_block(ctx, b) for b in range(b0, b1 + 1)]
    lo = first - b0 * _DOSSIER_BLOCK_ROWS
    rows = {
        key: np.concatenate([blk[key] for blk in blocks])[lo : lo + stop - first]
        for key in blocks[0]
    }
    handler = pa.array(rows["handler"])
    return _table(
        "dossiers",
        [
            _ids("HS", rows["number"], ctx.id_width),
            ctx.procedure_codes.take(pa.array(rows["procedure"])),
            ctx.unit_ids.take(pa.array(ctx.official_unit[rows["handler"]])),
            ctx.official_ids.take(handler),
            _datetimes(rows["received"]),
            _dates(rows["due"]),
            _datetimes(rows["returned"], rows["returned_valid"]),
            _take(_LATE_CAUSES, rows["cause"]),
            pa.array(rows["apology"]),
        ],
    )


_DOSSIER_SCHEMA = pa.schema(
    list(
        zip(
            COLUMNS["dossiers"],
            [pa.large_string(), pa.string(), pa.large_string(), pa.large_string(),
             pa.large_string(), pa.date32(), pa.large_string(), pa.string(), pa.bool_()],
            strict=True,
        )
    )
)  # fmt: skip


def _write_dossiers(path: Path, ctx: _DossierContext, chunk_rows: int) -> None:
    # A streaming writer appends chunk after chunk; with zero dossiers it still writes
    # the header, so the file always exists with the canonical columns.
    # Arrow formats and writes CSV without the GIL, so one background thread writes
    # chunk i while chunk i+1 is generated; writes stay in order and at most two chunks
    # are alive at once.
    with (
        pacsv.CSVWriter(path, _DOSSIER_SCHEMA, write_options=_WRITE_OPTIONS) as writer,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        pending: Future[None] | None = None
        for first in range(0, ctx.total, chunk_rows):
            table = _dossier_table(ctx, first, min(ctx.total, first + chunk_rows))
            if pending is not None:
                pending.result()
            pending = pool.submit(writer.write_table, table)
        if pending is not None:
            pending.result()


# ------------------------------------------------------------------ smaller tables


def _seq_doc(numbers: np.ndarray, suffixes: tuple[str, ...], which: np.ndarray) -> pa.Array:
    """Document numbers like '123/QĐ-UBND', unique by construction (row sequence)."""
    return _join(_int_text(numbers), _take(suffixes, which))


def _build_reminders(seed: int, year: int, off: _Officials) -> pa.Table:
    rng = _rng(seed, _S_REMINDERS)
    n = len(off.peer)
    # Reminders about late dossiers go to people who let dossiers run late: weight by
    # lateness propensity, mostly one-stop clerks.
    weight = off.propensity * np.where(off.peer == MOT_CUA, 1.0, 0.05)
    groups = [
        (_weighted_sample(rng, weight, round(0.020 * n)), year - 1, True),
        (_weighted_sample(rng, weight, round(0.006 * n)), year, True),
        (_weighted_sample(rng, weight, round(0.006 * n)), year - 2, True),
    ]
    n_other = round(0.010 * n)
    other_who = np.sort(rng.choice(n, size=min(n_other, n), replace=False))
    other_year = year - rng.integers(0, 3, len(other_who))
    who = np.concatenate([g[0] for g in groups] + [other_who])
    years = np.concatenate([np.full(len(g[0]), g[1]) for g in groups] + [other_year])
    late_subject = np.concatenate([np.full(len(g[0]), True) for g in groups]
                                  + [np.zeros(len(other_who), bool)])  # fmt: skip
    m = len(who)
    issued = _days_in_years(rng, years)
    kind = _choice(rng, (0.7, 0.3), m)
    other_subject = rng.integers(0, len(_OTHER_SUBJECTS), m)
    order = np.lexsort((who, issued))
    who, issued, kind = who[order], issued[order], kind[order]
    late_subject, other_subject = late_subject[order], other_subject[order]
    subject = pc.if_else(pa.array(late_subject), "tre_han", _take(_OTHER_SUBJECTS, other_subject))
    seq = np.arange(1, m + 1)
    return _table(
        "reminders",
        [
            _ids("NN", seq, _id_width(m, 6)),
            off.ids.take(pa.array(who)),
            _dates(issued),
            _take(("nhac_nho", "chan_chinh"), kind),
            subject,
            _join(_int_text(seq), "/TB-UBND"),
        ],
    )


def _build_discipline(seed: int, year: int, off: _Officials) -> pa.Table:
    rng = _rng(seed, _S_DISCIPLINE)
    n = len(off.peer)
    k = round(0.005 * n)
    # Weaker performers are likelier to be disciplined.
    who = _weighted_sample(rng, np.exp(-(off.score - 82.0) / 8.0), k)
    k = len(who)
    rng.shuffle(who)  # the pairs below take the first few: make them random people
    decided = _days_in_years(rng, year - _choice(rng, (0.5, 0.3, 0.2), k))
    violation = decided - rng.integers(15, 366, k)
    form = _choice(rng, _FORM_P, k)
    authority = _choice(rng, (0.65, 0.35), k)

    # A few acts get both a Party and an administrative decision sharing violation_id;
    # at least one whenever anyone is disciplined, so small datasets exercise the rule.
    n_pairs = max(1, round(0.2 * k)) if k else 0
    # The second decision follows within months, but never after the data were
    # extracted (10 January of the next year) nor before the act itself.
    p_decided = np.clip(decided[:n_pairs] + rng.integers(-90, 181, n_pairs),
                        violation[:n_pairs] + 1, _day(year + 1, 1, 10))  # fmt: skip
    p_form = _choice(rng, _FORM_P, n_pairs)
    explicit_first = rng.random(n_pairs) < 0.5  # half spell out the first's own id
    all_who = np.concatenate([who, who[:n_pairs]])
    all_decided = np.concatenate([decided, p_decided])
    all_violation = np.concatenate([violation, violation[:n_pairs]])
    all_form = np.concatenate([form, p_form])
    all_authority = np.concatenate([authority, 1 - authority[:n_pairs]])
    # Pre-sort index of the decision whose id is the shared violation_id (-1 = none).
    ref = np.full(k + n_pairs, -1)
    ref[:n_pairs] = np.where(explicit_first, np.arange(n_pairs), -1)
    ref[k:] = np.arange(n_pairs)

    total = k + n_pairs
    counted = np.full(total, -1)
    n_counted = max(1, round(0.1 * total)) if total else 0
    pick = rng.permutation(total)[:n_counted]
    # Mostly "already used to rate the official in the previous year", sometimes the
    # decision's own year spelled out.
    counted[pick] = _year_of(all_decided[pick]) - (rng.random(n_counted) < 0.7)

    order = np.lexsort((all_who, all_decided))
    position = np.empty_like(order)
    position[order] = np.arange(total)
    seq = np.arange(1, total + 1)
    ids = _ids("KL", seq, _id_width(total, 5))
    ref_sorted = ref[order]
    has_ref = ref_sorted >= 0
    violation_ids = pc.if_else(
        pa.array(has_ref),
        ids.take(pa.array(np.where(has_ref, position[np.maximum(ref_sorted, 0)], 0))),
        pa.scalar(None, pa.large_string()),
    )
    counted_sorted = counted[order]
    return _table(
        "discipline",
        [
            ids,
            off.ids.take(pa.array(all_who[order])),
            _take(_FORMS, all_form[order]),
            _take(_AUTHORITIES, all_authority[order]),
            _dates(all_decided[order]),
            _dates(all_violation[order]),
            _seq_doc(seq, _DECISION_DOC_SUFFIX, all_authority[order]),
            violation_ids,
            pa.array(counted_sorted, type=pa.int64(), mask=counted_sorted < 0),
        ],
    )


def _build_innovations(seed: int, year: int, off: _Officials) -> pa.Table:
    rng = _rng(seed, _S_INNOVATIONS)
    n = len(off.peer)
    # Stronger performers innovate more often.
    first = _weighted_sample(rng, np.exp((off.score - 82.0) / 8.0), round(0.05 * n))
    second = first[rng.random(len(first)) < 0.12]
    who = np.concatenate([first, second])
    m = len(who)
    period = _choice(rng, (0.85, 0.10, 0.05), m)  # this year, year before, early next year
    recognized = _days_in_years(rng, year - (period == 1))
    # Early next-year awards land before the titles' consideration date (15 January):
    # the case where "recognised in Y" must not be read as "known by consideration".
    recognized = np.where(period == 2, _day(year + 1) + rng.integers(0, 14, m), recognized)
    kind = _choice(rng, (0.75, 0.25), m)
    level = _choice(rng, (0.70, 0.25, 0.05), m)
    cchc = rng.random(m) < np.where(off.peer[who] == MOT_CUA, 0.6, 0.3)
    action = rng.integers(0, len(_INNOVATION_ACTIONS), m)
    obj = rng.integers(0, len(_INNOVATION_OBJECTS), m)
    order = np.lexsort((who, recognized))
    seq = np.arange(1, m + 1)
    title = _join(
        _take(_INNOVATION_PREFIX, kind[order]),
        _take(_INNOVATION_ACTIONS, action[order]),
        _take(_INNOVATION_OBJECTS, obj[order]),
        sep=" ",
    )
    return _table(
        "innovations",
        [
            _ids("SK", seq, _id_width(m, 5)),
            off.ids.take(pa.array(who[order])),
            title,
            _take(_KINDS, kind[order]),
            _take(_LEVELS, level[order]),
            _dates(recognized[order]),
            _seq_doc(seq, _AWARD_DOC_SUFFIX, level[order]),
            pa.array(cchc[order]),
        ],
    )


def _build_titles_history(seed: int, year: int, off: _Officials) -> pa.Table:
    """LDTT for ~65 % of officials a year (likelier with a good score), CSTDCS for ~12 %
    of those, over the three previous years; none for this year's recruits."""
    rng = _rng(seed, _S_HISTORY)
    n = len(off.peer)
    p_ldtt = np.clip(0.65 + (off.score - 82.0) / 40.0, 0.2, 0.95)
    who_parts, year_parts, title_parts = [], [], []
    for past in (year - 3, year - 2, year - 1):  # three years, not rows
        ldtt = (rng.random(n) < p_ldtt) & ~off.recruited
        cstdcs = ldtt & (rng.random(n) < 0.12)
        for mask, title in ((cstdcs, 0), (ldtt, 1)):
            idx = np.flatnonzero(mask)
            who_parts.append(idx)
            year_parts.append(np.full(len(idx), past))
            title_parts.append(np.full(len(idx), title))
    who = np.concatenate(who_parts)
    years = np.concatenate(year_parts)
    titles = np.concatenate(title_parts)
    order = np.lexsort((titles, years, who))
    return _table(
        "titles_history",
        [
            off.ids.take(pa.array(who[order])),
            pa.array(years[order], type=pa.int64()),
            _take(("CSTDCS", "LDTT"), titles[order]),
        ],
    )


# ------------------------------------------------------------------------------- API


# -------------------------------------------------------------------------- products

_PRODUCT_CODES = ("VB_THAM_MUU", "HS_THAM_DINH", "BAO_CAO", "TIEP_CONG_DAN", "KIEM_TRA",
                  "HO_TICH")
_COEFFICIENTS = np.array([0.5, 1.0, 1.0, 1.5, 2.0])
_MONTH_CODES = tuple(f"{m:02d}" for m in range(1, 13))
_QUARTER_CODES = ("Q1", "Q2", "Q3", "Q4")
_FAULT_CAUSES = ("", "khach_quan", "phan_mem")  # blank: the official's own


def _build_products(seed: int, year: int, off: _Officials, units: _Units
                    ) -> tuple[pa.Table, pa.Table]:
    """Periods and work items of every công chức (SPEC §10): monthly in province units,
    quarterly in communes, from the month of recruitment; 1 % move to another unit on 1
    July (their periods keep the old unit before it); one to three work lines a period,
    mostly done, a few with major errors or delays, some of those with an objective
    cause, half of them confirmed."""
    rng = _rng(seed, _S_PRODUCTS)
    cc = np.flatnonzero(off.staff == 1)
    month_of_recruit = (off.recruit_day[cc].astype("datetime64[D]").astype("datetime64[M]")
                        .astype(np.int64) % 12) + 1
    first = np.where(off.recruited[cc], month_of_recruit, 1)
    monthly = units.tier[off.unit[cc]] == 0
    first_quarter = (first - 1) // 3 + 1
    count = np.where(monthly, 13 - first, 5 - first_quarter)
    who = np.repeat(np.arange(len(cc)), count)
    step = np.arange(len(who)) - np.repeat(np.cumsum(count) - count, count)
    is_month = monthly[who]
    number = np.where(is_month, first[who] + step, first_quarter[who] + step)  # month or q
    start_month = np.where(is_month, number, (number - 1) * 3 + 1)
    moved = rng.random(len(cc)) < 0.01
    new_unit = rng.integers(0, len(units.sizes), len(cc))
    unit = np.where(moved[who] & (start_month < 7), off.unit[cc][who],
                    np.where(moved[who], new_unit[who], off.unit[cc][who]))
    general = np.clip(np.round(rng.normal(25.0, 3.0, len(who)), 1), 0.0, 30.0)
    official_ids = off.ids.take(pa.array(cc[who]))
    codes = pc.if_else(pa.array(is_month),
                       _take(_MONTH_CODES, np.clip(number - 1, 0, 11)),
                       _take(_QUARTER_CODES, np.clip(number - 1, 0, 3)))
    period = _join(str(year), "-", codes)
    blank = pa.nulls(len(who), pa.float64())
    periods = _table("periods", [official_ids, period, units.ids.take(pa.array(unit)),
                                 pa.array(general), blank, blank])

    lines = rng.integers(1, 4, len(who))
    row = np.repeat(np.arange(len(who)), lines)
    n = len(row)
    scale = np.where(is_month[row], 1, 3)
    assigned = rng.integers(1, 21, n) * scale
    partial = rng.random(n) < 0.08
    done = np.where(partial, np.floor(assigned * rng.uniform(0.3, 1.0, n)), assigned)
    errors = np.where(rng.random(n) < 0.03, rng.integers(1, 3, n), 0)
    delays = np.where(rng.random(n) < 0.06, rng.integers(1, 4, n), 0)
    faulty = (errors > 0) | (delays > 0)
    cause = np.where(faulty, _choice(rng, (0.7, 0.2, 0.1), n), 0)
    confirmed = (cause > 0) & (rng.random(n) < 0.5)
    letter = _join("Công văn ", _int_text(rng.integers(1, 999, n)), "/UBND-VP")
    items = _table("work_items", [
        _ids("SP", np.arange(1, n + 1), _id_width(n, 7)),
        official_ids.take(pa.array(row)),
        period.take(pa.array(row)),
        _take(_PRODUCT_CODES, rng.integers(0, len(_PRODUCT_CODES), n)),
        pa.array(_COEFFICIENTS[rng.integers(0, len(_COEFFICIENTS), n)]),
        pa.array(assigned.astype(np.int64)),
        pa.array(done.astype(np.int64)),
        pa.array(errors.astype(np.int64)),
        pa.array(delays.astype(np.int64)),
        pc.if_else(pa.array(cause > 0), _take(_FAULT_CAUSES, cause),
                   pa.scalar(None, pa.large_string())),
        pc.if_else(pa.array(confirmed), letter, pa.scalar(None, pa.large_string())),
        pa.nulls(n, pa.large_string()),
    ])
    return periods, items


def _no_later_than(table: pa.Table, last: dt.date) -> pa.Table:
    """Every date column of ``table`` brought back to ``last`` at the latest (a date
    before it stays; order between two columns is kept)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_date32(field.type):
            clipped = pc.min_element_wise(table.column(i), pa.scalar(last, pa.date32()))
            table = table.set_column(i, field, clipped)
    return table


def generate_dataset(
    out_dir: Path,
    *,
    officials: int,
    dossiers: int,
    year: int,
    seed: int = 0,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    force: bool = False,
    as_of: dt.date | None = None,
) -> dict[str, int]:
    """Write a deterministic synthetic dataset (SPEC §3 CSV files) into out_dir; return
    row counts per file. From 2026 (SPEC §10) there is no district unit, công chức have
    no task score, and ``periods.csv`` and ``work_items.csv`` hold their work products.

    A folder that already holds files is refused unless ``force``. Same arguments give
    byte-identical files whatever ``chunk_rows`` is; ``chunk_rows``
    bounds memory (dossiers are generated and appended that many rows at a time).
    ``as_of``: data extracted on that day, before the year ends — nothing happens after
    it (dossiers are due by then, later returns are still open, later decisions and
    awards fall on it); default: extracted on 10 January of the next year.
    """
    if officials < 1:
        raise ValueError("officials must be at least 1")
    if dossiers < 0:
        raise ValueError("dossiers must not be negative")
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    if seed < 0:
        raise ValueError("seed must not be negative")
    if not 1900 <= year <= 9000:
        raise ValueError("year must be between 1900 and 9000")

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise XeploaiError(f"{out} là một tệp, không phải thư mục")
    if not force and out.is_dir() and any(out.iterdir()):
        # like export: a folder of real data is never overwritten by accident
        raise XeploaiError(f"thư mục {out} đã có tệp: thêm --force để ghi đè các tệp dữ liệu, "
                           "hoặc chọn thư mục khác")
    out.mkdir(parents=True, exist_ok=True)
    products = year >= FIRST_PRODUCTS_YEAR
    units = _build_units(seed, officials, districts=not products)
    off, officials_table = _build_officials(seed, year, units)
    _write_csv(out / FILES["units"], units.table)
    _write_csv(out / FILES["officials"], officials_table)
    n_officials = officials_table.num_rows
    del officials_table

    clerks = np.flatnonzero(off.peer == MOT_CUA)
    others = np.flatnonzero(off.peer != MOT_CUA)
    everyone = np.arange(officials)
    codes, popularity = _procedure_codes(seed)
    ctx = _DossierContext(
        seed=seed,
        year=year,
        total=dossiers,
        clerks=clerks if len(clerks) else everyone,
        others=others if len(others) else (clerks if len(clerks) else everyone),
        official_unit=off.unit,
        propensity=off.propensity,
        official_ids=off.ids,
        unit_ids=units.ids,
        procedure_codes=codes,
        procedure_p=popularity,
        id_width=_id_width(dossiers, 8),
        extracted_day=None if as_of is None else _day(as_of.year, as_of.month, as_of.day),
    )
    _write_dossiers(out / FILES["dossiers"], ctx, chunk_rows)

    tables = {
        "reminders": _build_reminders(seed, year, off),
        "discipline": _build_discipline(seed, year, off),
        "innovations": _build_innovations(seed, year, off),
        "titles_history": _build_titles_history(seed, year, off),
    }
    if as_of is not None:
        tables = {name: _no_later_than(table, as_of) for name, table in tables.items()}
    for name, table in tables.items():
        _write_csv(out / FILES[name], table)

    counts = {"units": units.table.num_rows, "officials": n_officials,
              "dossiers": dossiers}  # fmt: skip
    counts.update({name: table.num_rows for name, table in tables.items()})
    written = {FILES[name]: counts[name] for name in COLUMNS}
    if products:
        for name, table in zip(PRODUCT_FILES, _build_products(seed, year, off, units),
                               strict=True):
            _write_csv(out / PRODUCT_FILES[name], table)
            written[PRODUCT_FILES[name]] = table.num_rows
    return written
