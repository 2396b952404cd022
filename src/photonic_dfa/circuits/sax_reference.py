"""The SAX netlist of a bank: the reference model the fast cascade of
:class:`~photonic_dfa.circuits.bank_circuit.BankCircuit` is tested against.

Instances: per ring ``r{i}_cin``/``r{i}_cdrop`` (its conditioned coupler data, ``port_1..4``),
``r{i}_arc_r``/``r{i}_arc_l`` (ring sections: straight + attenuation of πR + half the heater
phase); bus waveguides ``bus_t{k}``/``bus_d{k}`` (``k = 0..N``, x order) and, as separate
instances on both bus ports of every coupler, the attenuation of half the bus inside it
(``r{i}_cin_l``/``_r``, ``r{i}_cdrop_l``/``_r``: loss only, ``half_ring_bus_um / 2`` each; the fast
cascade folds the same loss into its bus waveguides instead). Solved by SAX's ``klu``
backend (its ``additive`` backend crashed with sax 0.14.7, see DESIGN.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from photonic_dfa.circuits.bank_circuit import PORTS, BankCircuit, BankDesign
from photonic_dfa.circuits.models import sdict_from_matrix, waveguide

__all__ = ["bank_netlist", "sax_circuit", "sax_sparams"]


def _data_model(s: np.ndarray, wl: np.ndarray) -> Callable[..., dict]:
    sd = sdict_from_matrix(s)

    def model(*, wl: ArrayLike = wl) -> dict:  # the data are fixed on the circuit's grid
        del wl
        return sd

    return model


def _connect_bus_ports(
    instances: dict, connections: dict, design: BankDesign, i: int, wg_params: dict
) -> None:
    """Ring ``i``'s couplers on the buses, each bus port through a loss-only waveguide of half the
    coupler's bus. The input bus runs port_1 → port_3 of C_in (left → right); the rotated drop
    coupler has port_3 on the left and port_1 on the right."""
    half = {"length_um": 0.0, "loss_only_um": float(design.half_ring_bus_um[i]) / 2, **wg_params}
    for name in (f"r{i}_cin_l", f"r{i}_cin_r", f"r{i}_cdrop_l", f"r{i}_cdrop_r"):
        instances[name] = {"component": "waveguide", "settings": half}
    for bus, coupler, left, right in (("t", "cin", 1, 3), ("d", "cdrop", 3, 1)):
        connections[f"bus_{bus}{i},o1"] = f"r{i}_{coupler}_l,o0"
        connections[f"r{i}_{coupler}_l,o1"] = f"r{i}_{coupler},port_{left}"
        connections[f"r{i}_{coupler},port_{right}"] = f"r{i}_{coupler}_r,o0"
        connections[f"r{i}_{coupler}_r,o1"] = f"bus_{bus}{i + 1},o0"


def bank_netlist(design: BankDesign, circuit: BankCircuit) -> tuple[dict, dict]:
    """The SAX netlist and models of a bank on its circuit's grid (see the module docstring)."""
    wl = np.asarray(circuit.wl_um)
    c_in, c_drop = np.asarray(circuit.c_in), np.asarray(circuit.c_drop)  # concrete data
    n = design.n_rings
    instances: dict[str, dict] = {}
    connections: dict[str, str] = {}
    models: dict[str, Callable[..., Any]] = {"waveguide": waveguide}
    wg_params = {"loss_dB_cm": design.loss_dB_cm, **design.waveguide.as_params()}
    for i in range(n):
        models[f"coupler_r{i}_in"] = _data_model(c_in[i], wl)
        models[f"coupler_r{i}_drop"] = _data_model(c_drop[i], wl)
        instances[f"r{i}_cin"] = {"component": f"coupler_r{i}_in"}
        instances[f"r{i}_cdrop"] = {"component": f"coupler_r{i}_drop"}
        for side in ("r", "l"):
            instances[f"r{i}_arc_{side}"] = {
                "component": "waveguide",
                "settings": {
                    "length_um": float(design.straight_um[i]),
                    "loss_only_um": math.pi * float(design.radius_um[i]),
                    **wg_params,
                },
            }
        connections[f"r{i}_cin,port_4"] = f"r{i}_arc_r,o0"
        connections[f"r{i}_arc_r,o1"] = f"r{i}_cdrop,port_2"
        connections[f"r{i}_cdrop,port_4"] = f"r{i}_arc_l,o0"
        connections[f"r{i}_arc_l,o1"] = f"r{i}_cin,port_2"
        _connect_bus_ports(instances, connections, design, i, wg_params)
    for k in range(n + 1):
        for bus, lengths in (("t", design.bus_through_um), ("d", design.bus_drop_um)):
            instances[f"bus_{bus}{k}"] = {
                "component": "waveguide",
                "settings": {"length_um": float(lengths[k]), **wg_params},
            }
    ports = {
        "in": "bus_t0,o0",
        "through": f"bus_t{n},o1",
        "add": f"bus_d{n},o1",
        "drop": "bus_d0,o0",
    }
    return {"instances": instances, "connections": connections, "ports": ports}, models


def sax_circuit(design: BankDesign, circuit: BankCircuit) -> Callable[..., dict]:
    """The SAX circuit (``klu`` backend) of :func:`bank_netlist`. Build it outside ``jax.jit``
    (SAX analyses the netlist with concrete arrays); the returned function itself is jittable."""
    import sax

    netlist, models = bank_netlist(design, circuit)
    return sax.circuit(netlist=netlist, models=models, backend="klu")[0]


def sax_sparams(
    sax_fn: Callable[..., dict],
    circuit: BankCircuit,
    heater_mW: ArrayLike,
    shift_nm: ArrayLike | None = None,
) -> jnp.ndarray:
    """Reference S-matrix ``(K, 4, 4)`` (ports in, through, add, drop; ``S[out, in]``) of a
    :func:`sax_circuit` for one heater vector ``(N,)``, the ring phases from ``circuit``'s
    thermal model."""
    phase = circuit.ring_phase_rad(heater_mW, shift_nm)  # (N, K)
    settings = {}
    for i in range(circuit.n_rings):
        half = 0.5 * phase[i]
        settings[f"r{i}_arc_r"] = {"extra_phase_rad": half}
        settings[f"r{i}_arc_l"] = {"extra_phase_rad": half}
    sd = sax_fn(wl=circuit.wl_um, **settings)
    # SAX key (from, to) → S[to, from]
    return jnp.stack([jnp.stack([sd[(p_in, p_out)] for p_in in PORTS], -1) for p_out in PORTS], -2)
