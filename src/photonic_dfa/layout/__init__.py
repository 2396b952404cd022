"""Layout stage: gdsfactory cells of the microring weight-bank array and ``layout.json``.

The schema of ``layout.json`` (:mod:`photonic_dfa.layout.schema`, what later stages read) and the
planner (:mod:`photonic_dfa.layout.planner`, where everything of a bank goes; :func:`resolve_pads`,
edge pads or bumps) and the floorplan (:mod:`photonic_dfa.layout.floorplan`) need only pydantic and
numpy; the cells and the writer import gdsfactory, the verifier (:func:`verify_gds`, rules in
:class:`DrcRules`) KLayout, so they are loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from photonic_dfa.layout.planner import design_bank, plan_bank, resolve_pads
from photonic_dfa.layout.schema import (
    LAYOUT_SCHEMA,
    LAYOUT_SCHEMA_VERSION,
    BankGeometry,
    LayoutDescription,
    RingGeometry,
    load_layout,
)

if TYPE_CHECKING:  # the lazy attributes below, visible to type checkers
    from photonic_dfa.layout.cells import bank_array, ring_heater, weight_bank
    from photonic_dfa.layout.rules import DrcRules
    from photonic_dfa.layout.verify import verify_gds
    from photonic_dfa.layout.writer import LayoutResult, write_layout

__all__ = [
    "LAYOUT_SCHEMA",
    "LAYOUT_SCHEMA_VERSION",
    "BankGeometry",
    "DrcRules",
    "LayoutDescription",
    "LayoutResult",
    "RingGeometry",
    "bank_array",
    "design_bank",
    "load_layout",
    "plan_bank",
    "resolve_pads",
    "ring_heater",
    "verify_gds",
    "weight_bank",
    "write_layout",
]

_LAZY = {
    "ring_heater": "photonic_dfa.layout.cells",
    "weight_bank": "photonic_dfa.layout.cells",
    "bank_array": "photonic_dfa.layout.cells",
    "write_layout": "photonic_dfa.layout.writer",
    "LayoutResult": "photonic_dfa.layout.writer",
    "verify_gds": "photonic_dfa.layout.verify",
    "DrcRules": "photonic_dfa.layout.rules",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'photonic_dfa.layout' has no attribute {name!r}")
