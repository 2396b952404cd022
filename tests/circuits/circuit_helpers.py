"""Helpers of the circuit-stage tests: bank geometries and ``layout.json`` descriptions built from
the layout plan (no gdsfactory needed)."""

from __future__ import annotations

import json
from pathlib import Path

from photonic_dfa.config import LayoutConfig
from photonic_dfa.layout.planner import bank_geometry, plan_bank
from photonic_dfa.layout.schema import (
    LAYOUT_SCHEMA,
    LAYOUT_SCHEMA_VERSION,
    GdsInfo,
    LayoutDescription,
)


def make_bank(**layout):
    """A :class:`BankGeometry` of the layout plan for ``LayoutConfig(**layout)``."""
    cfg = LayoutConfig(**layout)
    return bank_geometry(cfg, plan_bank(cfg), 0, (0.0, 0.0))


def make_description(banks: int = 1, **layout) -> LayoutDescription:
    """A ``layout.json`` description by hand: ``banks`` copies of the planned bank, stacked in y."""
    cfg = LayoutConfig(banks=banks, **layout)
    plan = plan_bank(cfg)
    height = plan.y_max_um - plan.y_min_um + cfg.bank_spacing_um
    geoms = tuple(bank_geometry(cfg, plan, i, (0.0, i * height)) for i in range(banks))
    return LayoutDescription(
        schema=LAYOUT_SCHEMA,
        schema_version=LAYOUT_SCHEMA_VERSION,
        generator={"package": "photonic_dfa", "version": "test"},
        parameters=cfg,
        gds=GdsInfo(file="none.gds", sha256="0" * 64, top_cell="test"),
        layers={"waveguide": (1, 0), "heater": (47, 0)},
        chip_size_um=(plan.width_um, banks * height),
        n_rings=cfg.rings,
        n_banks=banks,
        banks=geoms,
        ports={},
        splitter={},
    )


def write_description(path: Path, desc: LayoutDescription, **patch) -> Path:
    data = json.loads(desc.to_json())
    data.update(patch)
    path.write_text(json.dumps(data))
    return path
