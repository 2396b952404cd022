"""Ctrl-C during training: the first stops after the epoch in progress, the second aborts at once.

A compiled epoch holds the main thread inside XLA, where Python's signal handlers cannot run, so
the signals are read by a watcher thread from :func:`signal.set_wakeup_fd`: it sees each SIGINT as
it arrives, even in the middle of an epoch. Every file of a run is written by temporary file and
rename, so ending the process at any moment leaves the last complete epoch on disk.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator

__all__ = ["ABORT_STATUS", "graceful_sigint"]

#: exit status of a process ended by the second Ctrl-C (128 + SIGINT, as a shell reports it)
ABORT_STATUS = 130


def _watch(rfd: int, stop: threading.Event, on_abort: Callable[[], None] | None) -> None:
    count = 0
    while True:
        try:
            data = os.read(rfd, 64)
        except OSError:
            return
        if not data:  # the write end was closed: the block is over
            return
        for byte in data:
            if byte != signal.SIGINT:
                continue
            count += 1
            if count == 1:
                stop.set()
                sys.stderr.write(
                    "\nstopping after this epoch (its checkpoint is kept); Ctrl-C again to abort\n"
                )
                sys.stderr.flush()
                continue
            if on_abort is not None:
                with contextlib.suppress(Exception):
                    on_abort()
            sys.stderr.flush()
            os._exit(ABORT_STATUS)


@contextlib.contextmanager
def graceful_sigint(on_abort: Callable[[], None] | None = None) -> Iterator[threading.Event]:
    """Within the block, the first SIGINT sets the returned event; the second calls ``on_abort``
    (e.g. to record the run as interrupted and print how to resume) and ends the process with
    status :data:`ABORT_STATUS` at once — also after the block, if the first one stopped it.
    Outside the main thread, or where SIGINT is ignored (a background job), the event is never
    set."""
    stop = threading.Event()
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # e.g. nohup or a background job
    ):
        yield stop
        return
    rfd, wfd = os.pipe()
    os.set_blocking(wfd, False)
    previous_handler = signal.signal(signal.SIGINT, lambda signum, frame: None)
    previous_fd = signal.set_wakeup_fd(wfd, warn_on_full_buffer=False)
    watcher = threading.Thread(target=_watch, args=(rfd, stop, on_abort), daemon=True)
    watcher.start()
    try:
        yield stop
    finally:
        signal.set_wakeup_fd(previous_fd)
        # once interrupted, a further Ctrl-C (while the process winds down) still aborts at once
        signal.signal(
            signal.SIGINT, _abort_handler(on_abort) if stop.is_set() else previous_handler
        )
        os.close(wfd)
        watcher.join(timeout=1.0)
        os.close(rfd)


def _abort_handler(on_abort: Callable[[], None] | None) -> Callable[[int, object], None]:
    def handler(signum: int, frame: object) -> None:
        if on_abort is not None:
            with contextlib.suppress(Exception):
                on_abort()
        sys.stderr.flush()
        os._exit(ABORT_STATUS)

    return handler
