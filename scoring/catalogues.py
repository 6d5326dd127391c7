"""Maintainer's tool: update and compile the message catalogues of :mod:`xeploai.scoring.i18n`.

``python -m xeploai.scoring.catalogues`` (needs Babel, in the ``test`` extra):

1. collects xeploai's texts: every ``--help`` text of the CLI and every ``_("…")`` in the
   package's code;
2. adds the new ones to ``locale/en/LC_MESSAGES/xeploai.po`` with an empty translation
   (shown in Vietnamese until someone writes the English) and drops the ones no longer
   used;
3. compiles ``locale/vi/…/xeploai.po`` (click's texts in Vietnamese, written by hand) and
   the English one into the ``.mo`` files that ship in the package.

``--check`` changes nothing and exits 1 when a ``.mo`` file is not the compiled ``.po``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from .i18n import DOMAIN, LANGUAGES, help_texts, locale_dir

try:
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po, write_po
except ImportError:  # pragma: no cover
    sys.exit("Cần Babel: pip install -e '.[test]'")


def catalogue_path(language: str, suffix: str = ".po") -> Path:
    return locale_dir() / language / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def read_catalogue(language: str) -> Catalog:
    path = catalogue_path(language)
    if not path.exists():
        return Catalog(locale=language, domain=DOMAIN)
    with path.open("rb") as fh:
        return read_po(fh, locale=language, domain=DOMAIN)


def source_texts() -> list[str]:
    """xeploai's own texts, in a stable order: help texts, then ``_()`` calls."""
    from .cli import main

    package = Path(__file__).resolve().parent
    found = list(help_texts(main))
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(package), method_map=[("**.py", "python")], keywords={"_": None}):
        if isinstance(message, str):
            found.append(message)
    return list(dict.fromkeys(found))


def compiled(catalogue: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    return buffer.getvalue()


def updated_english() -> Catalog:
    old = read_catalogue("en")
    created = old.creation_date
    template = Catalog(domain=DOMAIN)
    for text in source_texts():
        template.add(text)
    old.update(template, no_fuzzy_matching=True)
    old.obsolete.clear()
    # a stable header: the compiled file changes only when a text does
    old.project, old.version, old.fuzzy = "xeploai", "", False
    old.creation_date = old.revision_date = created
    return old


def main(argv: list[str] | None = None) -> None:
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    stale = []
    for language in LANGUAGES:
        catalogue = updated_english() if language == "en" and not check \
            else read_catalogue(language)
        if language == "en" and not check:
            with catalogue_path("en").open("wb") as fh:
                write_po(fh, catalogue, width=100, sort_output=False)
            catalogue = read_catalogue("en")
        mo = catalogue_path(language, ".mo")
        data = compiled(catalogue)
        if mo.exists() and mo.read_bytes() == data:
            continue
        if check:
            stale.append(str(mo))
        else:
            mo.write_bytes(data)
            print(f"đã biên dịch {mo}")
    if stale:
        sys.exit("Tệp .mo không khớp tệp .po: " + ", ".join(stale)
                 + " (chạy python -m xeploai.scoring.catalogues)")


if __name__ == "__main__":
    main()
