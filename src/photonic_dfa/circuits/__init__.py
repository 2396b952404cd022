"""Circuit stage: the S-parameters of each weight-bank bus from simphony's half-ring data.

``BankCircuit.from_geometry(bank, cfg, wl_um)`` builds one bank's bus circuit from its
``layout.json`` geometry; its methods are pure JAX functions of heater powers (jit, vmap, grad).
``run_sweep`` runs the sweeps behind ``photonic-dfa sweep`` and writes ``spectra.npz``, Touchstone
files and plots. Submodules: ``models`` (waveguide and half-ring models), ``passivity``,
``thermal``, ``solver`` (exact ring blocks and cascade), ``bank``, ``analysis`` (resonances, FSR,
linewidth, Q, extinction; channel grid and bias), ``sweeps``, ``touchstone``, ``plots``, ``run``.

Attributes are imported lazily, so that ``import photonic_dfa.circuits.commands`` (the CLI) does
not load JAX, SAX or simphony.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "PORTS",
    "BankCircuit",
    "BiasResult",
    "RingMetrics",
    "Spectra",
    "SweepResult",
    "analyze_rings",
    "bank_netlist",
    "bias_to_channels",
    "channel_grid_nm",
    "heater_slopes_nm_per_mW",
    "load_spectra",
    "read_touchstone",
    "run_sweep",
    "write_touchstone",
]

_WHERE = {
    "PORTS": "bank",
    "BankCircuit": "bank",
    "bank_netlist": "bank",
    "BiasResult": "analysis",
    "RingMetrics": "analysis",
    "analyze_rings": "analysis",
    "bias_to_channels": "analysis",
    "channel_grid_nm": "analysis",
    "heater_slopes_nm_per_mW": "analysis",
    "SweepResult": "sweeps",
    "Spectra": "run",
    "load_spectra": "run",
    "run_sweep": "run",
    "read_touchstone": "touchstone",
    "write_touchstone": "touchstone",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        module = importlib.import_module(f"photonic_dfa.circuits.{_WHERE[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'photonic_dfa.circuits' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
