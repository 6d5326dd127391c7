"""The ``xeploai`` process (the console script): the command of :mod:`.cli`, started and
ended for a process that runs one command.

Kept apart from :mod:`.cli` so that the cyclic garbage collector can be off while the
command's modules are imported: the ~100,000 objects they make live as long as the process,
and collecting them while they are made is wasted work (≈ 0.1 s CPU of every start;
docs/decisions.md 103).

The process ends without the interpreter's teardown, through public means only
(docs/decisions.md 123): the exit handler that ends it is registered when this module is
imported — before the commands' modules register theirs (logging, temporary files,
finalizers; the console script imports nothing else first) — so it runs after every one
of them, as the interpreter runs exit handlers last registered, first run.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
from typing import NoReturn


class _ProcessEnd:
    """The exit code :func:`console_main` ends the process with, once its command is done."""

    code: int | None = None

    def now(self) -> None:
        """The last exit handler: flush what was printed, then end the process without
        freeing its memory object by object (interpreter shutdown freed every frame, Arrow
        buffer and DuckDB's memory one at a time, 0.15–0.4 s after a province run, for
        nothing the user sees). Before :func:`console_main` has finished (a library user
        who imported this module, an error escaping click) it does nothing: the
        interpreter ends as usual."""
        if self.code is None:
            return
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to say
                stream.flush()
        os._exit(self.code)


_END = _ProcessEnd()
atexit.register(_END.now)


def console_main() -> NoReturn:
    """Import the commands with the collector off, then freeze what the imports made (the
    collector never walks it again); run :data:`.cli.main`; then leave as any Python
    program does (``sys.exit``): the interpreter waits for its threads and runs the exit
    handlers, the last of which ends the process before the teardown."""
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
    _END.code = code or 0
    sys.exit(_END.code)
