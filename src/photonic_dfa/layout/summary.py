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
    area_um2 = width * height
    return summary(
        [
            quantity("banks", d.n_banks),
            quantity("rings per bank", d.n_rings),
            quantity("ring radius", cfg.radius_um, "µm"),
            quantity("bus gaps, input / drop side", [cfg.gap_in_nm, cfg.gap_drop_nm], "nm"),
            quantity("ring pitch", cfg.resolved_pitch_um(), "µm"),
            quantity("radius step between rings", cfg.radius_step_nm, "nm"),
            ["chip size (µm)", f"{width:.0f} × {height:.0f}"],
            quantity("chip area", area_um2 * 1e-6, "mm²"),
            quantity("chip area per ring", area_um2 / (d.n_banks * d.n_rings), "µm²"),
            *_contact_rows(d),
        ],
        figures=["weight_bank.png", "bank.png"],
        resume="an interrupted layout is drawn again (it takes seconds)",
        banks=d.n_banks,
        rings_per_bank=d.n_rings,
    )


def _contacts(d: Any) -> str:
    return (
        "flip-chip bumps" if getattr(d, "pad_layout", None) == "bump" else "pads on the chip edge"
    )


def _contact_rows(d: Any) -> list[list[str]]:
    """Contact count and pitch, for a description that has an electrical plan (v1 files and
    stand-ins may have none)."""
    pads = getattr(d, "pads", ())
    if not pads:
        return []
    return [quantity(_contacts(d), len(pads)), quantity("contact pitch", d.pad_pitch_um, "µm")]


def layout_log_line(result: Any) -> str:
    """One line for the run's log."""
    d = result.description
    width, height = d.chip_size_um
    return (
        f"{d.n_banks} bank(s) × {d.n_rings} ring(s), chip {width:.0f} × {height:.0f} µm "
        f"({width * height * 1e-6:.3g} mm², {width * height / (d.n_banks * d.n_rings):,.0f} µm² "
        f"per ring), {len(getattr(d, 'pads', ()))} {_contacts(d)}"
    )
