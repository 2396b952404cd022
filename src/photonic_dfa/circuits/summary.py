"""The circuit stage's summary for the run report (see :mod:`photonic_dfa.summary`).

Built from a spectrum sweep's result: per-ring figures of merit of the first bank and how much the
coupler data were changed to make them passive (``coupler_sigma_max_raw`` of the sweep, the
largest singular value of simphony's half-ring S-matrices before conditioning).
"""

from __future__ import annotations

from typing import Any

from photonic_dfa.config.circuit import CircuitConfig
from photonic_dfa.summary import fmt, quantity, summary, table

__all__ = ["passivity_note", "ring_log_lines", "summarise_circuits"]


def passivity_note(sigma_max_raw: float | None, passivity: str) -> str:
    """One sentence: the data's largest singular value and what conditioning changed."""
    if sigma_max_raw is None:
        return "The coupler data's passivity was not recorded by this sweep."
    if sigma_max_raw <= 1.0:
        return (
            f"Coupler data: largest singular value {sigma_max_raw:.4f} ≤ 1, already passive; "
            "left unchanged."
        )
    excess = 100 * (sigma_max_raw - 1.0)
    if passivity == "none":
        return (
            f"Coupler data: largest singular value {sigma_max_raw:.4f} (non-passive by "
            f'{excess:.2f} %), used as they are ([circuit] passivity = "none").'
        )
    return (
        f"Coupler data made passive: their largest singular value {sigma_max_raw:.4f} was clipped "
        f'to 1 ([circuit] passivity = "{passivity}"), i.e. the S-matrices changed by at most '
        f"{excess:.2f} % of their norm, at the wavelengths where they exceeded 1."
    )


def summarise_circuits(result: Any, cfg: CircuitConfig, files: list[str]) -> dict[str, Any]:
    """Summary of a spectrum ``run_sweep`` result (``files``: output names, for the figures)."""
    sigma = result.parameters.get("coupler_sigma_max_raw")
    rows = [
        [
            m.ring,
            m.resonance_nm,
            m.fsr_nm,
            1e3 * m.fwhm_nm,
            m.loaded_q,
            m.extinction_dB,
            m.heater_mW,
        ]
        for m in result.metrics[0]
    ]
    columns = [
        "ring",
        "resonance (nm)",
        "FSR (nm)",
        "FWHM (pm)",
        "loaded Q",
        "extinction (dB)",
        "heater (mW)",
    ]
    ring_table = table("Bank 0, heaters biased onto the channels", columns, rows)
    for row, m in zip(ring_table["rows"], result.metrics[0], strict=True):  # fixed decimals
        row[1], row[2] = f"{m.resonance_nm:.3f}", f"{m.fsr_nm:.2f}"
        row[3], row[4] = f"{1e3 * m.fwhm_nm:.0f}", f"{m.loaded_q:.0f}"
        row[5], row[6] = f"{m.extinction_dB:.1f}", f"{m.heater_mW:.3f}"
    return summary(
        [
            quantity("banks simulated", len(result.metrics)),
            quantity("wavelength points", cfg.points),
            ["wavelength range (nm)", f"{fmt(cfg.wl_start_nm, 5)} – {fmt(cfg.wl_stop_nm, 5)}"],
            quantity("waveguide loss", cfg.loss_dB_cm, "dB/cm"),
            quantity("coupler data, largest singular value before conditioning", sigma, digits=5),
        ],
        tables=[ring_table],
        figures=[n for n in files if n.endswith(".png")],
        notes=[passivity_note(sigma, cfg.passivity), *result.notes],
        resume="an interrupted sweep is run again",
        banks_simulated=len(result.metrics),
    )


def ring_log_lines(result: Any) -> list[str]:
    """One log line per ring of the first bank."""
    return [
        f"ring {m.ring}: resonance {m.resonance_nm:.3f} nm, FSR {m.fsr_nm:.2f} nm, "
        f"FWHM {m.fwhm_nm * 1e3:.0f} pm, Q {m.loaded_q:.0f}, ER {m.extinction_dB:.1f} dB"
        for m in result.metrics[0]
    ]
