"""The ``photonic-dfa`` command.

Each stage keeps its commands in ``<stage>/commands.py``; this module lists them in :data:`COMMANDS`
and loads a command's module only when that command runs or shows its own help, so
``photonic-dfa --help`` imports neither JAX nor gdsfactory nor simphony. :func:`main` turns every
:class:`~photonic_dfa.errors.PhotonicDFAError` into one line on stderr and exit status 2, an
interruption (Ctrl-C) into an ``interrupted: …`` line and status 130, and an operating-system error
(a full disk, a read-only directory) into one line and status 1.
"""

from __future__ import annotations

import importlib
import os
import sys

import click
import typer
import typer.core

from photonic_dfa import __version__
from photonic_dfa.errors import Interrupted, PhotonicDFAError

__all__ = ["COMMANDS", "app", "main"]

HELP = "Silicon-photonic DFA: layout → circuits → calibrated transfer matrices → training."

#: command name -> ("module:function", one-line help shown by ``photonic-dfa --help``)
COMMANDS: dict[str, tuple[str, str]] = {
    "layout": ("photonic_dfa.layout.commands:layout", "Draw the microring weight-bank array."),
    "verify": (
        "photonic_dfa.layout.commands:verify",
        "DRC (generic PDK rules) and connectivity checks of a weight-bank GDS.",
    ),
    "sweep": (
        "photonic_dfa.circuits.commands:sweep",
        "Simulate the weight-bank buses of a layout.",
    ),
    "extract": (
        "photonic_dfa.network_model.commands:extract",
        "Calibrate the weight banks of BANK_CIRCUITS for a network.",
    ),
    "budget": (
        "photonic_dfa.network_model.commands:budget",
        "Print the OPS (IPC 2020 eq. 3) and the itemised power budget (pJ per MAC).",
    ),
    "train": (
        "photonic_dfa.training.commands:train",
        "Train an MLP on MNIST with backprop or (photonic) DFA.",
    ),
    "compare": ("photonic_dfa.training.commands:compare", "Compare training runs."),
    "run": (
        "photonic_dfa.run_command:run",
        "The whole pipeline: layout → sweep → extract → train → report.",
    ),
    "study": (
        "photonic_dfa.study.commands:study",
        "Sweep pipeline runs over the axes of STUDY_FILE on Dask.",
    ),
}


class _LazyGroup(typer.core.TyperGroup):
    """A group whose commands are imported on first use (see :data:`COMMANDS`)."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        target, short = COMMANDS[cmd_name]
        if self._listing:  # the root's help needs only the names and one line each
            return typer.core.TyperCommand(cmd_name, help=short, short_help=short)
        module, func = target.split(":")
        sub = typer.Typer(add_completion=False, rich_markup_mode="rich")
        sub.command(cmd_name)(getattr(importlib.import_module(module), func))
        command = typer.main.get_command(sub)
        command.name = cmd_name
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:  # one suggestion, from the lazy command names
            from difflib import get_close_matches

            matches = get_close_matches(args[0], list(COMMANDS)) if args else []
            if matches and "Did you mean" not in exc.message:
                names = ", ".join(repr(m) for m in matches)
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {names}?"
            raise

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="photonic-dfa",
    cls=_LazyGroup,
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    suggest_commands=False,  # _LazyGroup.resolve_command says "Did you mean …?", once
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"photonic-dfa {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Silicon-photonic DFA: layout → circuits → calibrated transfer matrices → training."""


def _os_error_line(exc: OSError) -> str:
    where = f" ({exc.filename})" if exc.filename else ""
    return f"error: {exc.strerror or exc}{where}"


def run_app(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``) and return its exit status."""
    try:
        rv = app(args=argv, prog_name="photonic-dfa", standalone_mode=False)
    except Interrupted as exc:
        typer.secho(f"interrupted: {exc}", fg=typer.colors.YELLOW, err=True)
        return 130
    except PhotonicDFAError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        return 2
    except (typer.Abort, KeyboardInterrupt):
        typer.secho("interrupted", fg=typer.colors.YELLOW, err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except OSError as exc:
        typer.secho(_os_error_line(exc), fg=typer.colors.RED, err=True)
        return 1
    return rv if isinstance(rv, int) else 0


def main() -> None:
    """Entry point of the console script (exit status: 0, 1 OS error, 2 bad input, 130 Ctrl-C).

    After an interruption the process ends at once (every file is already complete), so a
    further Ctrl-C during the interpreter's shutdown cannot turn status 130 into a kill.
    """
    status = run_app()
    if status == 130:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(status)
