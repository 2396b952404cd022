"""Fixtures of the network-model tests: a layout built without gdsfactory, shared bank models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from _helpers.layouts import make_layout
from photonic_dfa.config import load_config


@pytest.fixture(scope="session", autouse=True)
def _compilation_cache():
    """The bus circuit's programs take tens of seconds to compile: keep them between runs."""
    from photonic_dfa.network_model.run import enable_compilation_cache

    enable_compilation_cache()


@pytest.fixture(scope="session")
def layout_json(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("layout") / "layout.json"
    path.write_text(make_layout(banks=2).to_json())
    return path


@pytest.fixture(scope="session")
def default_bank():
    return make_layout(banks=1).banks[0]


@pytest.fixture(scope="session")
def default_design(default_bank):
    from photonic_dfa.circuits import BankDesign

    return BankDesign.from_geometry(default_bank, load_config().circuit)


@pytest.fixture(scope="session")
def channel_plan(default_design):
    from photonic_dfa.network_model.channel_plan import plan_channels

    cfg = load_config()
    return plan_channels(
        default_design,
        cfg.circuit,
        spacing_nm=0.8,
        margin_nm=cfg.model.resolved_blue_margin_nm(),
        anchor_nm=cfg.circuit.channel_anchor_nm,
    )


@pytest.fixture(scope="session")
def evaluators(default_bank, channel_plan):
    """Evaluators of the default bank with (10 µm) and without thermal crosstalk."""
    from photonic_dfa.circuits import BankDesign
    from photonic_dfa.network_model.weights import Evaluator, WeightModel

    out = {}
    for name, length in (("crosstalk", 10.0), ("no_crosstalk", 0.0)):
        cfg = load_config(circuit={"crosstalk_length_um": length})
        design = BankDesign.from_geometry(default_bank, cfg.circuit)
        model = WeightModel.build(design, channel_plan.channel_wl_um, cfg.circuit.heater_max_mW)
        out[name] = Evaluator(model)
    return out


@pytest.fixture(scope="session")
def scale(evaluators, channel_plan) -> float:
    from photonic_dfa.network_model.calibration import bank_weight_range

    r = bank_weight_range(evaluators["crosstalk"], np.zeros((1, 10)), channel_plan.spacing_nm)[0]
    return float(0.9 * min(r[:, 1].min(), -r[:, 0].max()))


@pytest.fixture(scope="session")
def layout_factory():
    """:func:`make_layout` for tests that need layouts of several sizes."""
    return make_layout
