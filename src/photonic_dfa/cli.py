"""The ``photonic-dfa`` command.

Each stage keeps its commands in ``<stage>/commands.py`` (they import their heavy dependencies
inside the command, so ``--help`` stays fast); this module assembles them into one Typer app and turns
every :class:`~photonic_dfa.errors.PhotonicDFAError` into one line on stderr and exit status 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from photonic_dfa import __version__
from photonic_dfa.circuits import commands as circuit_commands
from photonic_dfa.errors import PhotonicDFAError
from photonic_dfa.layout import commands as layout_commands
from photonic_dfa.network_model import commands as model_commands
from photonic_dfa.training import commands as training_commands

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
app.command("verify")(layout_commands.verify)
app.command("sweep")(circuit_commands.sweep)
app.command("extract")(model_commands.extract)
app.command("budget")(model_commands.budget)
app.command("train")(training_commands.train)
app.command("compare")(training_commands.compare)


@app.command("run")
def run(
    config: Path | None = typer.Argument(
        None, help="TOML config (default: the built-in defaults, see README)."
    ),
    outdir: Path = typer.Option(Path("out"), "-o", "--outdir", help="Run directory."),
    force: bool = typer.Option(False, "--force", help="Re-run every stage, even if up to date."),
) -> None:
    """The whole pipeline: layout → sweep → extract → train → report (stages re-used when
    their inputs and settings are unchanged)."""
    import time

    from rich.console import Console

    from photonic_dfa.pipeline import run_pipeline

    console = Console(soft_wrap=True, highlight=False)
    start = time.perf_counter()
    result = run_pipeline(
        config, outdir, log=lambda line: console.print(line, markup=False), force=force
    )
    ran = [s.name for s in result.stages if s.status == "ran"]
    console.print(
        f"[bold]done[/] in {time.perf_counter() - start:.1f} s: "
        f"{len(ran)} stage(s) ran ({', '.join(ran) or 'none'}), "
        f"{len(result.stages) - len(ran)} re-used; results in {result.outdir}"
    )
    console.print(f"  report: {result.report_html}  (and {result.report_md.name})")


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
