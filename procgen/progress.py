"""Progress bars for long steps: on stderr (stdout carries only results), off with ``--quiet``.

Every command makes its bars here, so they look and behave alike: a bar appears only once
its step has run ``DELAY`` seconds (quick steps, and bad input refused at once, print
nothing), it is shown also when stderr is not a terminal (a log), it is redrawn at least
twice a second even when its step reports rarely, and it is erased rather than left above
the one-line error when the step fails.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from typing import Any, Iterator

DELAY = 1.0  # seconds before a bar appears
REDRAW = 0.5  # seconds between redraws


@contextlib.contextmanager
def bar(total: int | None, desc: str, *, unit: str = "it", enabled: bool = True, **options: Any) -> Iterator[Any]:
    """A tqdm bar for the body; ``enabled=False`` gives one that draws nothing (same methods).
    ``options`` go to tqdm as they are (``bar_format``)."""
    from tqdm import tqdm  # imported late: a command that never shows a bar never pays for it

    with tqdm(total=total, desc=desc, unit=unit, disable=not enabled, file=sys.stderr, delay=DELAY,
              mininterval=REDRAW, smoothing=0.05, dynamic_ncols=True, **options) as shown:
        with _redrawn(shown, enabled):
            try:
                yield shown
            except BaseException:
                shown.leave = False  # the error is one line: the bar is erased, not left above it
                raise


@contextlib.contextmanager
def ticking(desc: str, *, enabled: bool = True) -> Iterator[Any]:
    """A bar with no total for one opaque step (a call that reports nothing while it works):
    it shows the time elapsed, so a long wait is visibly alive."""
    with bar(None, desc, enabled=enabled, bar_format="{desc}: {elapsed} elapsed{postfix}") as shown:
        yield shown


@contextlib.contextmanager
def _redrawn(shown: Any, enabled: bool) -> Iterator[None]:
    """Redraw ``shown`` from a thread: a step that updates its bar once a minute still shows
    its clock moving."""
    if not enabled:
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(target=_redraw, args=(shown, stop), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _redraw(shown: Any, stop: threading.Event) -> None:
    if stop.wait(DELAY):  # tqdm's own delay covers updates; a forced redraw must wait the same
        return
    while not stop.wait(REDRAW):
        shown.refresh()
