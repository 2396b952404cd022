"""Network-model stage: calibrated transfer matrices, readout noise and energy of the weight banks.

Importing this package is light: :mod:`~photonic_dfa.network_model.artifact` and
:mod:`~photonic_dfa.network_model.readout` need only numpy and JAX (a training node reads
``photonic_model.npz`` without gdsfactory or simphony). Calibration, extraction, drift and the energy budget
are loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the lazy attributes below, visible to type checkers
    from photonic_dfa.network_model.artifact import (
        PhotonicModel,
        ReadoutParams,
        load_photonic_model,
        save_photonic_model,
    )
    from photonic_dfa.network_model.calibration import CalibrationResult, calibrate
    from photonic_dfa.network_model.channel_plan import ChannelPlan, plan_channels
    from photonic_dfa.network_model.drift import DriftClock, DriftParams, temperature_trace
    from photonic_dfa.network_model.encoding import modulator_transfer
    from photonic_dfa.network_model.energy import PowerBudget, budget, ops_ipc2020
    from photonic_dfa.network_model.fabrication import draw_offsets
    from photonic_dfa.network_model.readout import photonic_feedback
    from photonic_dfa.network_model.run import ExtractResult, extract, run_budget
    from photonic_dfa.network_model.weights import Evaluator, WeightModel

__all__ = [
    "CalibrationResult",
    "ChannelPlan",
    "DriftClock",
    "DriftParams",
    "Evaluator",
    "ExtractResult",
    "PhotonicModel",
    "PowerBudget",
    "ReadoutParams",
    "WeightModel",
    "budget",
    "calibrate",
    "draw_offsets",
    "extract",
    "load_photonic_model",
    "modulator_transfer",
    "ops_ipc2020",
    "photonic_feedback",
    "plan_channels",
    "run_budget",
    "save_photonic_model",
    "temperature_trace",
]

_LAZY = {
    "PhotonicModel": "photonic_dfa.network_model.artifact",
    "ReadoutParams": "photonic_dfa.network_model.artifact",
    "load_photonic_model": "photonic_dfa.network_model.artifact",
    "save_photonic_model": "photonic_dfa.network_model.artifact",
    "photonic_feedback": "photonic_dfa.network_model.readout",
    "CalibrationResult": "photonic_dfa.network_model.calibration",
    "calibrate": "photonic_dfa.network_model.calibration",
    "ChannelPlan": "photonic_dfa.network_model.channel_plan",
    "DriftClock": "photonic_dfa.network_model.drift",
    "DriftParams": "photonic_dfa.network_model.drift",
    "temperature_trace": "photonic_dfa.network_model.drift",
    "modulator_transfer": "photonic_dfa.network_model.encoding",
    "plan_channels": "photonic_dfa.network_model.channel_plan",
    "Evaluator": "photonic_dfa.network_model.weights",
    "WeightModel": "photonic_dfa.network_model.weights",
    "draw_offsets": "photonic_dfa.network_model.fabrication",
    "PowerBudget": "photonic_dfa.network_model.energy",
    "budget": "photonic_dfa.network_model.energy",
    "ops_ipc2020": "photonic_dfa.network_model.energy",
    "ExtractResult": "photonic_dfa.network_model.run",
    "extract": "photonic_dfa.network_model.run",
    "run_budget": "photonic_dfa.network_model.run",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'photonic_dfa.network_model' has no attribute {name!r}")
