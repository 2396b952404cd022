"""The seam between the circuit and model stages: ``bank_circuits.npz`` is all ``extract`` reads.

* extract from ``bank_circuits.npz`` in a process where simphony, SAX and gdsfactory cannot be
  imported gives the same photonic model as extract from the layout (which makes the bank
  circuits with simphony first);
* the artifact round-trips exactly, and a bad file gets one line;
* simphony's own half-ring data written as Touchstone and given as ``[circuit] coupler_*_s4p``
  give the same bank circuits and the same B̃ as the default (to 1e-12);
* bad Touchstone inputs get one line each.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from photonic_dfa.circuits import (
    BankCircuit,
    load_bank_circuits,
    make_bank_circuits,
    save_bank_circuits,
)
from photonic_dfa.circuits.couplers import (
    CouplerData,
    read_touchstone_coupler,
    simphony_half_ring,
    write_touchstone_coupler,
)
from photonic_dfa.config import load_config
from photonic_dfa.errors import ArtifactError, ConfigError
from photonic_dfa.layout import load_layout
from photonic_dfa.network_model.run import extract

HIDDEN = (7,)


@pytest.fixture(scope="module")
def bank_circuits_npz(layout_json, tmp_path_factory):
    bc = make_bank_circuits(
        load_layout(layout_json), load_config().circuit, layout_path=layout_json
    )
    return save_bank_circuits(bc, tmp_path_factory.mktemp("bc") / "bank_circuits.npz")


@pytest.fixture(scope="module")
def from_layout(layout_json):
    return extract(layout_json, HIDDEN, plots=False).model


_BLOCKED_RUN = """
import importlib.abc, json, sys
import numpy as np

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("simphony", "gdsfactory", "sax", "kfactory", "klayout"):
            raise ImportError(f"{name} is blocked in this test")
        return None

sys.meta_path.insert(0, Block())
from photonic_dfa.network_model.run import extract

res = extract(sys.argv[1], (7,), outdir=sys.argv[2], plots=False)
blocked = [m for m in sys.modules if m.split(".")[0] in ("simphony", "gdsfactory", "sax")]
print(json.dumps({"blocked_loaded": blocked, "bits": res.report["bits_median"]}))
"""


def test_extract_from_bank_circuits_needs_no_simphony_or_gdsfactory(
    bank_circuits_npz, from_layout, tmp_path
):
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_BLOCKED_RUN), str(bank_circuits_npz), tmp_path],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["blocked_loaded"] == []
    from photonic_dfa.network_model.artifact import load_photonic_model

    model = load_photonic_model(tmp_path / "photonic_model.npz")
    for a, b in zip(model.B_realised, from_layout.B_realised, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.heater_mW, from_layout.heater_mW, strict=True):
        np.testing.assert_array_equal(a, b)
    assert model.provenance["bank_circuits_sha256"] is not None
    assert model.calibration["bits_median"] == from_layout.calibration["bits_median"]


def test_bank_circuits_round_trip_and_sidecar(bank_circuits_npz, layout_json):
    bc = load_bank_circuits(bank_circuits_npz)
    desc = load_layout(layout_json)
    assert len(bc.bank_design) == desc.n_banks
    assert len(bc.designs) == 1  # the two banks differ only in position
    wl = np.linspace(1.546, 1.554, 5)
    cfg = load_config().circuit
    direct = BankCircuit.from_geometry(desc.banks[1], cfg, wl)
    loaded = bc.circuit(1, wl)
    heater = np.linspace(0.0, 3.0, 10)
    np.testing.assert_array_equal(
        np.asarray(loaded.sparams(heater)), np.asarray(direct.sparams(heater))
    )
    side = json.loads(bank_circuits_npz.with_suffix(".json").read_text())
    assert side["schema"] == "photonic_dfa.bank_circuits" and side["schema_version"] == 2
    assert len(side["designs"][0]["rings"]) == 10
    assert side["provenance"]["layout_sha256"] is not None


@pytest.mark.parametrize(
    "mutate,match",
    [
        (lambda d: d.pop("coupler0_s"), "incomplete or malformed"),
        (lambda d: d.__setitem__("design0_straight_um", np.zeros(3)), "design0_straight_um"),
    ],
)
def test_bad_bank_circuits_file_gets_one_line(bank_circuits_npz, tmp_path, mutate, match):
    data = dict(np.load(bank_circuits_npz))
    mutate(data)
    bad = tmp_path / "bad.npz"
    np.savez(bad, **data)
    with pytest.raises(ArtifactError, match=match) as err:
        load_bank_circuits(bad)
    assert "\n" not in str(err.value)
    with pytest.raises(ArtifactError, match="not a readable npz"):
        (tmp_path / "junk.npz").write_text("junk")
        load_bank_circuits(tmp_path / "junk.npz")


def test_touchstone_couplers_reproduce_simphonys(layout_json, tmp_path, from_layout):
    desc = load_layout(layout_json)
    ring = desc.banks[0].rings[0]
    paths = {}
    for which, gap in (("in", ring.gap_in_nm), ("drop", ring.gap_drop_nm)):
        data = simphony_half_ring(ring.radius_um, gap)
        paths[which] = write_touchstone_coupler(data, tmp_path / f"coupler_{which}.s4p")
        back = read_touchstone_coupler(paths[which])
        np.testing.assert_array_equal(back.freq_Hz, data.freq_Hz)
        assert np.max(np.abs(back.s - data.s)) < 1e-12
    files = {"coupler_in_s4p": str(paths["in"]), "coupler_drop_s4p": str(paths["drop"])}
    cfg = load_config(circuit=files)
    bc_file = make_bank_circuits(desc, cfg.circuit)
    bc_default = make_bank_circuits(desc, load_config().circuit)
    wl = np.linspace(1.54, 1.56, 7)
    s_file = np.asarray(bc_file.circuit(0, wl).sparams(np.ones(10)))
    s_default = np.asarray(bc_default.circuit(0, wl).sparams(np.ones(10)))
    assert np.max(np.abs(s_file - s_default)) < 1e-12
    model = extract(bc_file, HIDDEN, config=cfg, plots=False).model
    for a, b in zip(model.B_realised, from_layout.B_realised, strict=True):
        assert np.max(np.abs(a.astype(float) - b)) < 1e-12


def _write_network(path, freq, s):
    import skrf

    skrf.Network(frequency=skrf.Frequency.from_f(freq, unit="hz"), s=s).write_touchstone(
        str(path.with_suffix(""))
    )
    return path


def test_bad_touchstone_couplers_get_one_line(layout_json, tmp_path):
    desc = load_layout(layout_json)
    data = simphony_half_ring(10.0, 150.0)

    def make(**circuit):
        cfg = load_config(circuit=circuit).circuit
        with pytest.raises(ConfigError) as err:
            make_bank_circuits(desc, cfg).circuit(0, np.linspace(1.546, 1.554, 3))
        assert "\n" not in str(err.value)
        return str(err.value)

    assert "does not exist" in make(coupler_in_s4p=str(tmp_path / "missing.s4p"))
    two = _write_network(tmp_path / "two.s2p", data.freq_Hz, data.s[:, :2, :2])
    assert "needs 4 ports" in make(coupler_in_s4p=str(two))
    # data that cover only 1570–1600 nm: the sweep's channels near 1550 nm are outside
    keep = data.freq_Hz < 299_792_458.0 / 1.57e-6
    narrow = write_touchstone_coupler(
        CouplerData(data.freq_Hz[keep], data.s[keep], "narrow"), tmp_path / "narrow.s4p"
    )
    assert "does not contain the wavelengths" in make(coupler_in_s4p=str(narrow))
    raw = write_touchstone_coupler(data, tmp_path / "raw.s4p")  # σ_max ≈ 1.009: not passive
    assert "not passive" in make(coupler_in_s4p=str(raw), passivity="none")
