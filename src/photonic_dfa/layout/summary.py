"""The layout stage's summary for the run report (see :mod:`photonic_dfa.summary`)."""

from __future__ import annotations

from typing import Any

from photonic_dfa.config.layout import LayoutConfig
from photonic_dfa.summary import quantity, summary

__all__ = ["summarise_layout"]


def summarise_layout(result: Any, cfg: LayoutConfig) -> dict[str, Any]:
    """Summary of a ``write_layout`` result: array size, ring geometry, chip size, pictures."""
    d = result.description
    width, height = d.chip_size_um
    return summary(
        [
            quantity("banks", d.n_banks),
            quantity("rings per bank", d.n_rings),
            quantity("ring radius", cfg.radius_um, "µm"),
            quantity("bus gaps, input / drop side", [cfg.gap_in_nm, cfg.gap_drop_nm], "nm"),
            quantity("ring pitch", cfg.resolved_pitch_um(), "µm"),
            quantity("radius step between rings", cfg.radius_step_nm, "nm"),
            ["chip size (µm)", f"{width:.0f} × {height:.0f}"],
            quantity("chip area", d.chip_area_mm2, "mm²"),
            quantity("chip area per ring", d.area_per_ring_um2, "µm²"),
            quantity(_contacts(d), len(d.pads)),
            quantity("contact pitch", d.pad_pitch_um, "µm"),
        ],
        figures=["weight_bank.png", "bank.png"],
        resume="an interrupted layout is drawn again (it takes seconds)",
        banks=d.n_banks,
        rings_per_bank=d.n_rings,
    )


def _contacts(d: Any) -> str:
    return "flip-chip bumps" if d.pad_layout == "bump" else "pads on the chip edge"


def layout_log_line(result: Any) -> str:
    """One line for the run's log."""
    d = result.description
    return (
        f"{d.n_banks} bank(s) × {d.n_rings} ring(s), chip "
        f"{d.chip_size_um[0]:.0f} × {d.chip_size_um[1]:.0f} µm ({d.chip_area_mm2:g} mm², "
        f"{d.area_per_ring_um2:,.0f} µm² per ring), {len(d.pads)} {_contacts(d)}"
    )
