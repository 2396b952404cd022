"""``photonic-dfa layout``: draw the weight-bank array (GDS, pictures, ``layout.json``)."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import typer

__all__ = ["layout"]


def layout(
    outdir: Path = typer.Option(..., "-o", "--outdir", help="Output directory."),
    config: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        help="TOML config; its \\[layout] section is used (options given here override it).",
    ),
    rings: int | None = typer.Option(None, "--rings", help="Rings per bank N (1-64)."),
    banks: int | None = typer.Option(None, "--banks", help="Banks M (1-256)."),
    radius_um: float | None = typer.Option(None, "--radius-um", help="Nominal ring radius (µm)."),
    gap_nm: float | None = typer.Option(
        None, "--gap-nm", help="Bus gap (nm), both input and drop side."
    ),
    pitch_um: float | None = typer.Option(None, "--pitch-um", help="Ring pitch along the bus."),
) -> None:
    """Draw the microring weight-bank array: weight_bank.gds, weight_bank.png, bank.png,
    layout.json."""
    from rich.console import Console

    from photonic_dfa.config import load_config
    from photonic_dfa.layout.writer import write_layout

    console = Console(soft_wrap=True)
    overrides = {
        "rings": rings,
        "banks": banks,
        "radius_um": radius_um,
        "gap_in_nm": gap_nm,
        "gap_drop_nm": gap_nm,
        "pitch_um": pitch_um,
    }
    cfg = load_config(config, layout=overrides).layout
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with console.status("drawing the weight-bank array…"):
            result = write_layout(cfg, outdir)
    for w in caught:
        console.print(f"[yellow]warning:[/] {w.message}", highlight=False)
    d = result.description
    console.print(
        f"[bold]layout[/]: {d.n_banks} bank(s) × {d.n_rings} ring(s) = "
        f"{d.n_banks * d.n_rings} rings with heaters, R = {cfg.radius_um:g} µm, gaps "
        f"{cfg.gap_in_nm:g}/{cfg.gap_drop_nm:g} nm, pitch {cfg.resolved_pitch_um():g} µm; "
        f"chip {d.chip_size_um[0]:.1f} × {d.chip_size_um[1]:.1f} µm "
        f"({time.perf_counter() - start:.1f} s)",
        highlight=False,
    )
    for path in (result.gds_path, result.png_path, result.bank_png_path, result.json_path):
        console.print(f"  wrote {path}", highlight=False)
