"""A layout description built without gdsfactory: the geometry planner's banks, no GDS (for the
network-model tests and the benchmark that reproduces their README table)."""

from __future__ import annotations

from photonic_dfa.config import load_config
from photonic_dfa.layout.planner import bank_geometry, plan_bank
from photonic_dfa.layout.schema import LAYOUT_SCHEMA_VERSION, LayoutDescription


def make_layout(banks: int = 2, **layout) -> LayoutDescription:
    """A ``LayoutDescription`` of ``banks`` default banks (the geometry plan the cells draw)."""
    cfg = load_config(layout={"banks": banks, **layout}).layout
    plan = plan_bank(cfg)
    pitch = plan.y_max_um - plan.y_min_um + cfg.bank_spacing_um
    bank_list = tuple(bank_geometry(cfg, plan, b, (0.0, b * pitch)) for b in range(banks))
    return LayoutDescription(
        schema="photonic_dfa.layout",
        schema_version=LAYOUT_SCHEMA_VERSION,
        generator={"package": "photonic_dfa", "version": "test"},
        parameters=cfg,
        gds={"file": "none.gds", "sha256": "0" * 64, "top_cell": "test"},
        layers={"waveguide": (1, 0)},
        chip_size_um=(plan.width_um, banks * pitch),
        n_rings=cfg.rings,
        n_banks=banks,
        banks=bank_list,
        ports={},
        splitter={},
    )
