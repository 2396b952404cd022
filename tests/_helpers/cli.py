"""The ``photonic-dfa`` command line run in this process (no interpreter start-up or re-import)."""

from __future__ import annotations

import contextlib
import io
import subprocess

from photonic_dfa.cli import run_app


def run_cli(*args: object) -> subprocess.CompletedProcess:
    """``photonic-dfa ARGS…`` in-process: exit status and captured stdout/stderr, as a process
    would give them (for behaviour that is the process's own — signals, the console script —
    tests still start one)."""
    out, err = io.StringIO(), io.StringIO()
    argv = [str(a) for a in args]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run_app(argv)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())
