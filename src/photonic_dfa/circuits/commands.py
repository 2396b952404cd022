"""``photonic-dfa sweep``: run a circuit sweep on a ``layout.json`` (heavy imports inside)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer

__all__ = ["parse_heater", "sweep"]


def parse_heater(text: str | None) -> Literal["bias"] | float | list[float]:
    """``--heater-mw``: ``bias`` (default), one power for every ring, or comma-separated powers
    (each ≥ 0 mW)."""
    from photonic_dfa.errors import ConfigError

    if text is None or text.strip().lower() == "bias":
        return "bias"
    try:
        values = [float(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise ConfigError(
            f"--heater-mw {text!r}: use 'bias', one power (mW) or comma-separated powers"
        ) from None
    if not values:
        raise ConfigError("--heater-mw is empty")
    if any(v < 0 for v in values):
        raise ConfigError(f"--heater-mw {text!r}: heater powers must be >= 0 mW")
    return values[0] if len(values) == 1 else values


def sweep(
    layout_json: Path = typer.Argument(..., help="layout.json written by `photonic-dfa layout`."),
    outdir: Path = typer.Option(..., "-o", "--outdir", help="Output directory."),
    kind: str = typer.Option("spectrum", "--kind", help="spectrum | heater | design | corners."),
    wl_start_nm: float | None = typer.Option(None, "--wl-start-nm", help="Start wavelength (nm)."),
    wl_stop_nm: float | None = typer.Option(None, "--wl-stop-nm", help="Stop wavelength (nm)."),
    points: int | None = typer.Option(None, "--points", help="Wavelength points."),
    heater_mW: str | None = typer.Option(
        None,
        "--heater-mw",
        help="Heater state: 'bias' (onto the channel grid, default), one power for every ring, "
        "or comma-separated powers per ring (mW).",
    ),
    heater_mW_old: str | None = typer.Option(None, "--heater-mW", hidden=True),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="TOML config; its \\[circuit] section is used."
    ),
    bank: list[int] | None = typer.Option(None, "--bank", help="Bank index (repeatable)."),
) -> None:
    """Simulate the weight-bank buses of a layout: spectra, heater tuning, design space or
    fabrication corners. Writes spectra.npz, bank_<i>.s4p and plots; prints per-ring resonance,
    FSR, extinction ratio, linewidth and loaded Q."""
    from rich.console import Console
    from rich.table import Table

    from photonic_dfa.circuits.run import run_sweep
    from photonic_dfa.config import load_config

    cfg = load_config(config).circuit
    result = run_sweep(
        layout_json,
        cfg,
        outdir,
        kind=kind,
        wl_start_nm=wl_start_nm,
        wl_stop_nm=wl_stop_nm,
        points=points,
        heater_mW=parse_heater(heater_mW if heater_mW is not None else heater_mW_old),
        banks=bank or None,
    )
    import sys

    console = Console(width=None if sys.stdout.isatty() else 120)  # no wrapping in pipes/logs
    banks = result.parameters.get("banks", [])
    for b, metrics in enumerate(result.metrics):
        label = f"bank {banks[b]}" if b < len(banks) and kind == "spectrum" else kind
        if kind == "design":
            label = "design points (single ring, equal gaps)"
        table = Table(title=f"{label}: rings", title_justify="left")
        for col in (
            "ring",
            "heater mW",
            "channel nm",
            "resonance nm",
            "FSR nm",
            "ER dB",
            "FWHM pm",
            "loaded Q",
        ):
            table.add_column(col, justify="right")
        channels = result.channels_nm[b] if b < len(result.channels_nm) else None
        for i, m in enumerate(metrics):
            table.add_row(
                str(m.ring),
                f"{m.heater_mW:.3f}",
                f"{channels[i]:.3f}" if channels is not None else "–",
                f"{m.resonance_nm:.3f}",
                f"{m.fsr_nm:.3f}",
                f"{m.extinction_dB:.1f}",
                f"{m.fwhm_nm * 1e3:.1f}",
                f"{m.loaded_q:,.0f}",
            )
        console.print(table)
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    for name, path in result.files.items():
        console.print(f"wrote {path}" if name == "spectra.npz" else f"      {path}")
