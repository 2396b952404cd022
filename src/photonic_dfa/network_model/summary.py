"""The network-model stage's summary for the run report (see :mod:`photonic_dfa.summary`).

Built from the calibration report of ``extract`` (``ExtractResult.report``, also in the model's
``.json`` sidecar).
"""

from __future__ import annotations

from typing import Any

from photonic_dfa.summary import quantity, summary, table

__all__ = [
    "BUDGET_LABELS",
    "NOISE_LABELS",
    "budget_lines",
    "extract_lines",
    "model_log_line",
    "reconfiguration_line",
    "summarise_model",
]

#: readout-noise terms of the report -> label in the report
NOISE_LABELS = {
    "shot": "shot noise",
    "rin": "laser RIN",
    "thermal": "TIA thermal noise",
    "adc": "ADC quantisation",
    "total": "total (quadrature sum)",
}


#: sources of the error budget -> label (parts of the calibration residual indented)
BUDGET_LABELS = {
    "calibration_residual": "calibration residual",
    "heater_dac": "  of which heater DACs",
    "crosstalk_open_loop": "  crosstalk model, open loop",
    "drift": "drift (recalibrated)",
    "drift_no_recal": "  drift, no recalibration",
    "modulator": "modulators",
    "laser_spread": "laser power spread",
    "bpd_mismatch": "BPD mismatch",
    "shot": "shot noise",
    "tia": "TIA noise",
    "rin": "laser RIN",
    "adc": "ADC quantisation",
}


def _needed(row: dict[str, Any]) -> str:
    v = row.get("needed_value")
    return "n.a." if v is None else f"{row['parameter']} = {v:.3g}"


def _budget_rows(budget: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            BUDGET_LABELS.get(r["name"], r["name"]),
            r["mean"],
            r["std"],
            r["effective_bits"],
            _needed(r),
        ]
        for r in budget["sources"]
    ]


def _budget_table(budget: dict[str, Any]) -> dict[str, Any]:
    t, p = budget["total"], budget["paper"]
    rows = _budget_rows(budget)
    rows.append(["total, quadrature", t["sum_of_means"], t["quadrature_std"], None, ""])
    rows.append(["total, Monte-Carlo", t["monte_carlo_mean"], t["monte_carlo_std"], None, ""])
    rows.append(["paper, measured", p["mean"], p["std"], None, ""])
    return table(
        "Per-MAC error budget (units of max|e|)",
        ["source", "mean", "std", "bits", f"alone at std {p['std']:g}"],
        rows,
    )


def budget_lines(budget: dict[str, Any]) -> list[str]:
    """The error budget as a compact text table (``photonic-dfa extract``)."""
    t, p = budget["total"], budget["paper"]
    lines = [
        f"error budget per MAC (units of max|e|; paper: mean {p['mean']:g}, std {p['std']:g}):",
        f"  {'source':30s} {'mean':>8s} {'std':>8s} {'bits':>5s}  alone at std {p['std']:g}",
    ]
    for name, mean, std, bits, need in _budget_rows(budget):
        b = "–" if bits is None else f"{bits:.1f}"
        lines.append(f"  {name:30s} {mean:+8.4f} {std:8.4f} {b:>5s}  {need}")
    ratio = t["ratio_quadrature_to_mc"]
    lines.append(
        f"  total: quadrature {t['quadrature_std']:.4f}, Monte-Carlo {t['monte_carlo_std']:.4f} "
        f"(ratio {ratio if ratio is None else round(ratio, 3)}), mean {t['monte_carlo_mean']:+.4f}"
        f"; dominant: {BUDGET_LABELS.get(budget['dominant'], budget['dominant'])}"
    )
    return lines


def _noise_table(breakdown: dict[str, float]) -> dict[str, Any]:
    rows = [[NOISE_LABELS.get(k, k), v] for k, v in breakdown.items() if k in NOISE_LABELS]
    return table("Readout noise per MAC (std relative to max|e|)", ["term", "std / max|e|"], rows)


def _energy_table(energy: dict[str, Any]) -> dict[str, Any]:
    per_mac = energy.get("items_pJ_per_mac", {})
    rows = [[k, w, per_mac.get(k)] for k, w in energy["items_W"].items()]
    rows.append(["total", energy.get("total_W"), energy.get("pJ_per_mac")])
    return table("Energy budget", ["item", "power (W)", "energy per MAC (pJ)"], rows)


def _bank_table(per_bank: list[dict[str, Any]], ymin: Any) -> dict[str, Any]:
    rows = [
        [pb["bank"], pb["rows"], pb.get("bits_median"), pb["bits_min"], pb.get("yield_rows")]
        for pb in per_bank
        if pb.get("rows")
    ]
    return table(
        f"Calibration precision per bank (full circuit; yield: rows at ≥ {ymin} bits)",
        ["bank", "row tiles", "bits, median", "bits, worst", "yield"],
        rows,
    )


def summarise_model(report: dict[str, Any], hidden: tuple[int, ...], files: list[str]) -> dict:
    """Summary of a calibration report for a network with ``hidden`` layer sizes."""
    noise, energy = report.get("noise", {}), report.get("energy", {})
    physical = noise.get("physical", {})
    yield_banks = report.get("yield_banks")
    quantities = [
        ["network", "-".join(str(n) for n in (784, *hidden, 10))],
        ["calibration mode", str(report.get("mode", "–"))],
        quantity("row tiles calibrated", report.get("rows")),
        quantity("weight precision, median", report.get("bits_median"), "bits"),
        quantity("weight precision, worst row", report.get("bits_min"), "bits"),
        quantity("weight RMS error, median (units of max|B|)", report.get("rms_B_median")),
        quantity("rings that cannot reach their target", report.get("unreachable_count")),
        quantity(
            f"banks at ≥ {report.get('yield_min_bits', '?')} bits",
            None if yield_banks is None else 100 * yield_banks,
            "%",
        ),
        quantity("mean heater power", report.get("heater_mW_mean"), "mW"),
        quantity("heater DAC resolution", report.get("heater_driver", {}).get("bits"), "bits"),
        quantity(
            "heater DAC step at full scale",
            report.get("heater_driver", {}).get("lsb_pm_at_full_scale"),
            "pm",
        ),
        quantity(
            "throughput with heater re-tuning",
            energy.get("reconfiguration", {}).get("ops"),
            "OPS",
        ),
        quantity("MAC error std (units of max|e|)", physical.get("std")),
        quantity("MAC effective precision", physical.get("effective_bits"), "bits"),
        quantity(
            "paper's Gaussian MAC error std (units of max|e|)",
            noise.get("paper_gaussian", {}).get("std"),
        ),
        quantity("throughput", energy.get("ops"), "OPS"),
        quantity("energy per MAC", energy.get("pJ_per_mac"), "pJ"),
    ]
    tables = []
    if noise.get("breakdown"):
        tables.append(_noise_table(noise["breakdown"]))
    if energy.get("items_W"):
        tables.append(_energy_table(energy))
    if report.get("error_budget"):
        tables.append(_budget_table(report["error_budget"]))
    if report.get("per_bank"):
        tables.append(_bank_table(report["per_bank"], report.get("yield_min_bits", "?")))
    notes = []
    if energy.get("to_reach_target", {}).get("status"):
        notes.append(f"Energy: {energy['to_reach_target']['status']}.")
    return summary(
        quantities,
        tables=tables,
        figures=[n for n in files if n.endswith(".png")],
        notes=notes,
        resume="an interrupted calibration is run again",
        hidden=list(hidden),
    )


def model_log_line(report: dict[str, Any]) -> str:
    """One line for the run's log."""
    physical = report.get("noise", {}).get("physical", {})
    return (
        f"calibration: {report.get('bits_median', float('nan')):.2f} bits median "
        f"({report.get('bits_min', float('nan')):.2f} worst), "
        f"{report.get('unreachable_count', 0)} unreachable ring(s); per-MAC error std "
        f"{physical.get('std', float('nan')):.3f}·max|e|"
    )


def extract_lines(report: dict[str, Any], total_s: float) -> list[tuple[str, bool]]:
    """What ``photonic-dfa extract`` prints of its calibration report: ``(line, is_warning)``."""
    r, noise = report, report["noise"]
    lines = [
        (
            f"calibration ({r['mode']}, fab σ {r['fab_sigma_nm']:g} nm): {r['rows']} row tiles, "
            f"median {r['bits_median']:.2f} bits (min {r['bits_min']:.2f}), yield "
            f"{100 * r['yield_rows']:.1f} % of rows / {100 * r['yield_banks']:.1f} % of banks at "
            f"≥ {r['yield_min_bits']:g} bits, {r['unreachable_count']} unreachable rings",
            False,
        )
    ]
    if r["unreachable_count"]:
        first = r["unreachable"][0]
        lines.append(
            (
                f"warning: {r['unreachable_count']} ring(s) cannot reach their target, e.g. row "
                f"tile {first['row_tile']} ring {first['ring']}: {first['reason']}",
                True,
            )
        )
    lines += [
        (
            f"channel plan: worst inter-channel crosstalk "
            f"{r['channel_plan']['worst_crosstalk_dB']:.1f} dB; weight scale "
            f"{r['weight_scale']:.3f}; mean heater {r['heater_mW_mean']:.2f} mW",
            False,
        ),
        (
            f"readout: per-MAC error std {noise['physical']['std']:.4f} max|e| "
            f"({noise['physical']['effective_bits']:.2f} effective bits); paper model "
            f"{noise['paper_gaussian']['std']:.3f} max|e|",
            False,
        ),
        (
            f"energy: {r['energy']['pJ_per_mac']:.3g} pJ/MAC at {r['energy']['ops']:.3g} OPS; "
            f"time {total_s:.1f} s",
            False,
        ),
    ]
    lines += _issue13_lines(r)
    if r.get("error_budget"):
        lines += [(line, False) for line in budget_lines(r["error_budget"])]
    return lines


def _issue13_lines(r: dict[str, Any]) -> list[tuple[str, bool]]:
    """Heater DACs, per-bank precision and the throughput with re-tuning."""
    lines = []
    d = r.get("heater_driver")
    if d:
        lines.append(
            (
                f"heater DACs: {d['bits']} bits, {d['full_scale_V']:.3g} V full scale on "
                f"{d['resistance_ohm']:g} Ω (step {d['lsb_pm_at_full_scale']:.3g} pm at full "
                f"scale); settling {d['settle_us']:.3g} µs per re-tuning",
                False,
            )
        )
    banks = [pb for pb in r.get("per_bank", []) if pb.get("rows")]
    if banks:
        lines.append(
            (
                "per bank (bits median/worst, yield): "
                + "; ".join(
                    f"{pb['bank']}: {pb['bits_median']:.2f}/{pb['bits_min']:.2f}, "
                    f"{100 * pb['yield_rows']:.0f} %"
                    for pb in banks[:16]
                )
                + (" …" if len(banks) > 16 else ""),
                False,
            )
        )
    rc = r.get("energy", {}).get("reconfiguration")
    if rc:
        lines.append((reconfiguration_line(rc), False))
    return lines


def reconfiguration_line(rc: dict[str, Any]) -> str:
    """One line: weight-stationary vs re-tuned throughput."""
    return (
        f"re-tuning: {rc['settings_per_pass']} heater setting(s) per pass "
        f"({rc['banks_needed']} banks would hold all of B, {rc['banks']} here), "
        f"{1e6 * rc['settle_s']:.3g} µs settling per setting, {rc['errors_per_setting']} error "
        f"vectors per setting: {rc['ops']:.3g} OPS vs {rc['ops_weight_stationary']:.3g} "
        f"weight-stationary (duty {100 * rc['duty']:.3g} %)"
    )
