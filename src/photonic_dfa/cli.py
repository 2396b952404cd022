"""The ``photonic-dfa`` command.

Each stage keeps its commands in ``<stage>/commands.py`` (they import their heavy dependencies
inside the command, so ``--help`` stays fast); this module assembles them into one Typer app and turns
every :class:`~photonic_dfa.errors.PhotonicDFAError` into one line on stderr and exit status 2.
"""

from __future__ import annotations

import sys

import typer

from photonic_dfa import __version__
from photonic_dfa.errors import PhotonicDFAError
from photonic_dfa.layout import commands as layout_commands

__all__ = ["app", "main"]

app = typer.Typer(
    name="photonic-dfa",
    help="Silicon-photonic DFA: layout → circuits → calibrated transfer matrices → training.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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


app.command("layout")(layout_commands.layout)


def main() -> None:
    """Entry point of the console script: user errors become one line and exit status 2."""
    try:
        app(standalone_mode=False)
    except PhotonicDFAError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
