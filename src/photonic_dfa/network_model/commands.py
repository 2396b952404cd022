"""``photonic-dfa extract`` and ``photonic-dfa budget`` (heavy imports inside the functions)."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["budget", "check_spectra_layout", "extract", "parse_hidden"]


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


def check_spectra_layout(spectra: Path, source: Path) -> None:
    """The layout sha256 that ``spectra.npz`` records (if any) is that of ``source``: a
    ``layout.json``, or the layout a ``bank_circuits.npz`` was made from.

    Raises:
        ArtifactError: one line naming both files when they differ, or when ``spectra`` is not a
            readable npz.
    """
    import json

    from photonic_dfa.errors import ArtifactError
    from photonic_dfa.io import read_npz, sha256_file

    meta_raw = read_npz(spectra, "spectra").get("__meta__")
    try:
        recorded = json.loads(str(meta_raw))["layout"]["sha256"] if meta_raw is not None else None
    except (ValueError, KeyError, TypeError):
        recorded = None
    if source.suffix == ".npz":
        from photonic_dfa.circuits.artifact import load_bank_circuits

        expected = load_bank_circuits(source).provenance.get("layout_sha256")
    else:
        expected = sha256_file(source) if source.is_file() else None
    if recorded and expected and recorded != expected:
        raise ArtifactError(
            f"--spectra {str(spectra)!r} was made from another layout (sha256 {recorded[:12]}…) "
            f"than {str(source)!r} ({expected[:12]}…): sweep this layout again or pass its own "
            "spectra.npz"
        )


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
    config: Path | None = typer.Option(
        None, "--config", "-c", help="TOML config; its \\[model] and \\[circuit] sections are used."
    ),
    spectra: Path | None = typer.Option(
        None,
        "--spectra",
        help="spectra.npz of the circuit stage, made from the same layout (checked; hashed into "
        "the provenance).",
    ),
    out: Path | None = typer.Option(None, "-o", "--outdir", help="Output directory (required)."),
    out_old: Path | None = typer.Option(None, "--out", hidden=True),
    no_plots: bool = typer.Option(False, "--no-plots", help="Skip the figures."),
    extra: list[str] | None = typer.Argument(
        None, metavar="[SIZES]...", help="More hidden sizes: --hidden 800 800 puts 800 here."
    ),
) -> None:
    """Calibrate the weight banks of BANK_CIRCUITS for a network and write photonic_model.npz."""
    from photonic_dfa.errors import ConfigError
    from photonic_dfa.network_model.run import enable_compilation_cache
    from photonic_dfa.network_model.run import extract as run_extract

    if extra and not hidden:
        raise ConfigError(f"unexpected argument(s) {' '.join(extra)!r}")
    out = out or out_old
    if out is None:
        raise ConfigError("missing option -o/--outdir: the directory to write photonic_model.npz")
    sizes = parse_hidden([*(hidden or []), *(extra or [])], (800, 800))
    if spectra is not None:
        check_spectra_layout(spectra, circuits)
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
    from photonic_dfa.network_model.summary import extract_lines

    typer.echo(f"wrote {res.model_path} (+ .json, {len(res.plots)} plots)")
    for line, warning in extract_lines(res.report, res.timings_s["total"]):
        if warning:
            typer.secho(line, fg=typer.colors.YELLOW, err=True)
        else:
            typer.echo(line)


def budget(
    hidden: list[str] | None = typer.Option(
        None, "--hidden", help="Hidden layer sizes M_k: --hidden 8000 10000 (default 800)."
    ),
    outputs: int = typer.Option(10, "--outputs", help="Network outputs N."),
    rows: int = typer.Option(10, "--rows", help="Rings per bank d_R."),
    cols: int = typer.Option(100, "--cols", help="Banks d_C."),
    adc_gsps: float | None = typer.Option(None, "--adc-gsps", help="ADC rate (GS/s); default 5."),
    heater_mw: float | None = typer.Option(
        None,
        "--heater-mw",
        help="Heater power per ring (mW, ≥ 0); default: from --model or the design.",
    ),
    heater_mw_old: float | None = typer.Option(None, "--heater-mW", hidden=True),
    model: Path | None = typer.Option(
        None, "--model", help="photonic_model.npz whose solved heater powers to use."
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="TOML config; its \\[model] section (energy) is used."
    ),
    errors_per_setting: int | None = typer.Option(
        None,
        "--errors-per-setting",
        help="Error vectors each heater setting serves when the banks are re-tuned "
        "(default: [model] errors_per_setting).",
    ),
    extra: list[str] | None = typer.Argument(
        None, metavar="[SIZES]...", help="More hidden sizes: --hidden 8000 10000 puts 10000 here."
    ),
) -> None:
    """Print the OPS (IPC 2020 eq. 3) and the itemised power budget (pJ per MAC)."""
    from photonic_dfa.config import load_config
    from photonic_dfa.errors import ConfigError
    from photonic_dfa.network_model.run import run_budget

    if extra and not hidden:
        raise ConfigError(f"unexpected argument(s) {' '.join(extra)!r}")
    heater_mw = heater_mw if heater_mw is not None else heater_mw_old
    if heater_mw is not None and not heater_mw >= 0:
        raise ConfigError(f"--heater-mw {heater_mw:g}: the heater power must be >= 0 mW")
    b = run_budget(
        parse_hidden([*(hidden or []), *(extra or [])], (800,)),
        outputs,
        rows,
        cols,
        config=load_config(config, model={"errors_per_setting": errors_per_setting}),
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
    if b.reconfiguration is not None:
        from photonic_dfa.network_model.summary import reconfiguration_line

        rc = b.to_dict()["reconfiguration"]
        typer.echo(reconfiguration_line(rc) + f"; {rc['pJ_per_mac']:.4g} pJ/MAC with re-tuning")
