"""The ``xeploai`` process (the console script): the command of :mod:`.cli`, started and
ended for a process that runs one command.

Kept apart from :mod:`.cli` so that the cyclic garbage collector can be off while the
command's modules are imported: the ~100,000 objects they make live as long as the process,
and collecting them while they are made is wasted work (≈ 0.1 s CPU of every start;
docs/decisions.md 103).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
from typing import NoReturn


def console_main() -> NoReturn:
    """Import the commands with the collector off, then freeze what the imports made (the
    collector never walks it again); run :data:`.cli.main`; then the exit handlers (logs,
    temporary files, finalizers) and the end of the process, without freeing its memory
    object by object: interpreter shutdown freed every frame, Arrow buffer and DuckDB's
    memory one at a time, 0.2–0.4 s after a province run, for nothing the user sees."""
    # Arrow's allocator (mimalloc) commits its arenas' memory eagerly; on a machine whose
    # pages are made on first touch (a virtual machine with transparent huge pages) each
    # fresh buffer then costs system time: committing lazily saved a province run ≈ 0.3 s
    # and a 200,000-official run ≈ 1.4 s CPU (docs/decisions.md 111). Read when the
    # allocator starts, so set before any import; a user's own setting stands.
    os.environ.setdefault("MIMALLOC_ARENA_EAGER_COMMIT", "0")
    gc.disable()
    from .cli import main

    gc.freeze()
    gc.enable()
    try:
        main()
    except SystemExit as finished:  # click's standalone mode always ends here
        code = finished.code
    else:  # pragma: no cover - standalone mode never returns
        code = 0
    if code is not None and not isinstance(code, int):  # as the interpreter would: text, 1
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    atexit._run_exitfuncs()
    os._exit(code or 0)
