from pathlib import Path

import pytest

# collect rules/test_*.yaml: rule cases written as data
pytest_plugins = ["xeploai.scoring.rule_tests"]

POLICY = Path(__file__).resolve().parent.parent / "policy.toml"


@pytest.fixture
def policy() -> Path:
    return POLICY
