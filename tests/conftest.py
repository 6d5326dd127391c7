from __future__ import annotations

from pathlib import Path

import pytest

from scoring.testing import DatasetBuilder

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "config" / "binh_dinh_2023.toml"
SAMPLE = ROOT / "examples" / "binh_dinh_2023"


@pytest.fixture
def builder() -> DatasetBuilder:
    return DatasetBuilder()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A real SQLite file per test."""
    return f"sqlite:///{tmp_path / 'xeploai.db'}"
