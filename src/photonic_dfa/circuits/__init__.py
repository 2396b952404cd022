"""Circuit stage: the S-parameters of each weight-bank bus, from ``layout.json`` and coupler data.

``BankDesign.from_geometry(bank, cfg)`` turns one bank of ``layout.json`` into its circuit's data and
``BankCircuit.build(design, wl_um)`` evaluates it on a wavelength grid; its methods are pure JAX
functions of heater powers (jit, vmap, grad). ``make_bank_circuits`` / ``save_bank_circuits`` /
``load_bank_circuits`` are the stage's artifact ``bank_circuits.npz``, all the model stage reads.
``run_sweep`` runs the sweeps behind ``photonic-dfa sweep`` and writes ``bank_circuits.npz``,
``spectra.npz``, Touchstone files and plots. Submodules: ``models`` (waveguide model),
``couplers`` (coupler data: simphony's half rings or Touchstone, interpolation, conditioning),
``passivity``, ``thermal``, ``solver`` (exact ring blocks and cascade), ``bank_circuit``,
``sax_reference`` (the SAX netlist), ``artifact``, ``analysis`` (resonances, FSR, linewidth, Q,
extinction; channel grid and bias), ``sweeps``, ``touchstone``, ``plots``, ``run``.

Attributes are imported lazily, so that ``import photonic_dfa.circuits.commands`` (the CLI) does
not load JAX, SAX or simphony.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the lazy attributes below, visible to type checkers
    from photonic_dfa.circuits.analysis import (
        BiasResult,
        RingMetrics,
        analyze_rings,
        bias_to_channels,
        channel_grid_nm,
        heater_slopes_nm_per_mW,
    )
    from photonic_dfa.circuits.artifact import (
        BankCircuits,
        load_bank_circuits,
        make_bank_circuits,
        save_bank_circuits,
    )
    from photonic_dfa.circuits.bank_circuit import PORTS, BankCircuit, BankDesign
    from photonic_dfa.circuits.run import Spectra, load_spectra, run_sweep
    from photonic_dfa.circuits.sax_reference import bank_netlist
    from photonic_dfa.circuits.sweeps import SweepResult
    from photonic_dfa.circuits.touchstone import read_touchstone, write_touchstone

__all__ = [
    "PORTS",
    "BankCircuit",
    "BankCircuits",
    "BankDesign",
    "BiasResult",
    "RingMetrics",
    "Spectra",
    "SweepResult",
    "analyze_rings",
    "bank_netlist",
    "bias_to_channels",
    "channel_grid_nm",
    "heater_slopes_nm_per_mW",
    "load_bank_circuits",
    "load_spectra",
    "make_bank_circuits",
    "read_touchstone",
    "run_sweep",
    "save_bank_circuits",
    "write_touchstone",
]

_WHERE = {
    "PORTS": "bank_circuit",
    "BankCircuit": "bank_circuit",
    "BankDesign": "bank_circuit",
    "BankCircuits": "artifact",
    "load_bank_circuits": "artifact",
    "make_bank_circuits": "artifact",
    "save_bank_circuits": "artifact",
    "bank_netlist": "sax_reference",
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
