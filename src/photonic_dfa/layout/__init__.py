"""Layout stage: gdsfactory cells of the microring weight-bank array and ``layout.json``.

The geometry description (:mod:`photonic_dfa.layout.geometry`) needs only pydantic and numpy; the
cells and the writer import gdsfactory, so they are loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from photonic_dfa.layout.geometry import (
    LAYOUT_SCHEMA,
    LAYOUT_SCHEMA_VERSION,
    BankGeometry,
    LayoutDescription,
    RingGeometry,
    load_layout,
    plan_bank,
)

__all__ = [
    "LAYOUT_SCHEMA",
    "LAYOUT_SCHEMA_VERSION",
    "BankGeometry",
    "LayoutDescription",
    "LayoutResult",
    "RingGeometry",
    "bank_array",
    "load_layout",
    "plan_bank",
    "ring_heater",
    "weight_bank",
    "write_layout",
]

_LAZY = {
    "ring_heater": "photonic_dfa.layout.cells",
    "weight_bank": "photonic_dfa.layout.cells",
    "bank_array": "photonic_dfa.layout.cells",
    "write_layout": "photonic_dfa.layout.writer",
    "LayoutResult": "photonic_dfa.layout.writer",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'photonic_dfa.layout' has no attribute {name!r}")
