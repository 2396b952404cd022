"""``photonic-dfa extract`` and ``photonic-dfa budget`` (heavy imports inside the functions)."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["budget", "extract", "parse_hidden"]


def parse_hidden(values: list[str] | None, default: tuple[int, ...]) -> tuple[int, ...]:
    """Hidden sizes from ``--hidden 800 800`` (the first after the flag, the rest arrive as extra
    arguments) or ``--hidden 800,800``; one clear error for anything else."""
    from photonic_dfa.errors import ConfigError

    if not values:
        return default
    sizes = []
    for v in values:
        for tok in str(v).replace(",", " ").split():
            try:
                n = int(tok)
            except ValueError:
                raise ConfigError(f"--hidden: {tok!r} is not an integer layer size") from None
            if n < 1:
                raise ConfigError(f"--hidden: layer size {n} is invalid, sizes must be >= 1")
            sizes.append(n)
    return tuple(sizes)


def extract(
    circuits: Path = typer.Argument(
        ...,
        metavar="BANK_CIRCUITS",
        help="bank_circuits.npz written by `photonic-dfa sweep` (or a layout.json, whose bank "
        "circuits are made first).",
    ),
    hidden: list[str] | None = typer.Option(
        None, "--hidden", help="Hidden layer sizes: --hidden 800 800 (default 800 800)."
    ),
    outputs: int = typer.Option(10, "--outputs", help="Network outputs (columns of B_k)."),
    config: Path | None = typer.Option(None, "--config", help="TOML config ([model], [circuit])."),
    spectra: Path | None = typer.Option(
        None, "--spectra", help="spectra.npz of the circuit stage (hashed into the provenance)."
    ),
    out: Path = typer.Option(..., "-o", "--out", help="Output directory."),
    no_plots: bool = typer.Option(False, "--no-plots", help="Skip the figures."),
    extra: list[str] | None = typer.Argument(None, hidden=True, metavar="[SIZES]..."),
) -> None:
    """Calibrate the weight banks of BANK_CIRCUITS for a network and write photonic_model.npz."""
    from photonic_dfa.errors import ConfigError
    from photonic_dfa.network_model.run import enable_compilation_cache
    from photonic_dfa.network_model.run import extract as run_extract

    if extra and not hidden:
        raise ConfigError(f"unexpected argument(s) {' '.join(extra)!r}")
    sizes = parse_hidden([*(hidden or []), *(extra or [])], (800, 800))
    enable_compilation_cache()
    res = run_extract(
        circuits,
        sizes,
        config_path=config,
        outdir=out,
        n_outputs=outputs,
        spectra=spectra,
        plots=not no_plots,
        progress=lambda msg: typer.echo(f"· {msg}", err=True),
    )
    r = res.report
    noise = r["noise"]
    typer.echo(f"wrote {res.model_path} (+ .json, {len(res.plots)} plots)")
    typer.echo(
        f"calibration ({r['mode']}, fab σ {r['fab_sigma_nm']:g} nm): {r['rows']} row tiles, "
        f"median {r['bits_median']:.2f} bits (min {r['bits_min']:.2f}), "
        f"yield {100 * r['yield_rows']:.1f} % of rows / {100 * r['yield_banks']:.1f} % of banks "
        f"at ≥ {r['yield_min_bits']:g} bits, {r['unreachable_count']} unreachable rings"
    )
    if r["unreachable_count"]:
        first = r["unreachable"][0]
        typer.secho(
            f"warning: {r['unreachable_count']} ring(s) cannot reach their target, e.g. row tile "
            f"{first['row_tile']} ring {first['ring']}: {first['reason']}",
            fg=typer.colors.YELLOW,
            err=True,
        )
    typer.echo(
        f"channel plan: worst inter-channel crosstalk {r['channel_plan']['worst_crosstalk_dB']:.1f}"
        f" dB; weight scale {r['weight_scale']:.3f}; mean heater {r['heater_mW_mean']:.2f} mW"
    )
    typer.echo(
        f"readout: per-MAC error std {noise['physical']['std']:.4f} max|e| "
        f"({noise['physical']['effective_bits']:.2f} effective bits); paper model "
        f"{noise['paper_gaussian']['std']:.3f} max|e|"
    )
    typer.echo(
        f"energy: {r['energy']['pJ_per_mac']:.3g} pJ/MAC at {r['energy']['ops']:.3g} OPS; "
        f"time {res.timings_s['total']:.1f} s"
    )


def budget(
    hidden: list[str] | None = typer.Option(
        None, "--hidden", help="Hidden layer sizes M_k: --hidden 8000 10000 (default 800)."
    ),
    outputs: int = typer.Option(10, "--outputs", help="Network outputs N."),
    rows: int = typer.Option(10, "--rows", help="Rings per bank d_R."),
    cols: int = typer.Option(100, "--cols", help="Banks d_C."),
    adc_gsps: float | None = typer.Option(None, "--adc-gsps", help="ADC rate (GS/s); default 5."),
    heater_mw: float | None = typer.Option(
        None, "--heater-mw", help="Heater power per ring (mW); default: from --model or the design."
    ),
    model: Path | None = typer.Option(
        None, "--model", help="photonic_model.npz whose solved heater powers to use."
    ),
    config: Path | None = typer.Option(None, "--config", help="TOML config ([model] energy)."),
    extra: list[str] | None = typer.Argument(None, hidden=True, metavar="[SIZES]..."),
) -> None:
    """Print the OPS (IPC 2020 eq. 3) and the itemised power budget (pJ per MAC)."""
    from photonic_dfa.config import load_config
    from photonic_dfa.errors import ConfigError
    from photonic_dfa.network_model.run import run_budget

    if extra and not hidden:
        raise ConfigError(f"unexpected argument(s) {' '.join(extra)!r}")
    b = run_budget(
        parse_hidden([*(hidden or []), *(extra or [])], (800,)),
        outputs,
        rows,
        cols,
        config=load_config(config),
        adc_gsps=adc_gsps,
        heater_mW_per_ring=heater_mw,
        model_path=model,
    )
    a = b.assumptions
    typer.echo(
        f"network {'×'.join(str(h) for h in a['hidden'])} → {a['n_outputs']} outputs on "
        f"{a['banks']} banks × {a['rows_per_bank']} rings at {a['adc_gsps']:g} GS/s"
    )
    typer.echo(f"OPS = {b.ops:.4g}   MAC/s = {b.macs_per_s:.4g}")
    typer.echo(f"{'item':<12}{'power (W)':>12}{'pJ/MAC':>10}")
    for k, w in b.items_W.items():
        typer.echo(f"{k:<12}{w:>12.4g}{b.items_pJ()[k]:>10.4g}")
    typer.echo(f"{'total':<12}{b.total_W:>12.4g}{b.pJ_per_mac:>10.4g}")
    typer.echo(f"heaters: {a['heater_mW_per_ring']:.3g} mW per ring ({a['heater_source']})")
    typer.echo(
        f"assumptions: laser {a['laser_power_mW_per_channel']:g} mW/channel at wall-plug "
        f"{a['wall_plug_efficiency']:g}; modulator {a['modulator_pJ_per_symbol']:g} pJ/symbol; "
        f"TIA {a['tia_power_mW']:g} mW; ADC {a['adc_power_mW']:g} mW"
    )
    for k, v in b.to_reach_target.items():
        typer.echo(f"< {b.target_pJ:g} pJ/MAC — {k}: {v}")
