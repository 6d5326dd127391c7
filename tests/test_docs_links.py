"""README stands on its own: every link it makes points inside the repository, and what it
sends the reader to (the specification, the decisions, the plugin guide) is there."""

from __future__ import annotations

import re

from .conftest import ROOT

LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_readme_and_docs_link_only_inside_the_repository():
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        assert "shared/SPEC.md" not in text, page
        for target in LINK.findall(text):
            if re.match(r"[a-z]+://", target):
                continue
            resolved = (page.parent / target).resolve()
            assert resolved.is_relative_to(ROOT.resolve()), (page.name, target)
            assert resolved.exists(), (page.name, target)


def test_the_specification_a_reader_needs_is_in_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/spec.md)" in readme
    spec = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    for heading in ("## 3. Input records (the data contract)",
                    "## 5. The Bình Định 2023 policy",
                    "## 7. Command-line contract"):
        assert heading in spec
    # the CLI contract's export columns, as the exports write them
    from xeploai.scoring.export import EXPORT_COLUMNS

    assert "`" + ", ".join(EXPORT_COLUMNS) + "`" in " ".join(spec.split())
