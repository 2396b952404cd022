"""photonic_model.npz: round trip, sidecar, validation and clear errors, light imports."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
import zipfile

import jax
import numpy as np
import pytest

from photonic_dfa.errors import ArtifactError
from photonic_dfa.io import sha256_file
from photonic_dfa.network_model.artifact import (
    PhotonicModel,
    ReadoutParams,
    load_photonic_model,
    save_photonic_model,
)


def _model(hidden=(6, 4), n_out=10, d_r=10) -> PhotonicModel:
    rng = np.random.default_rng(0)
    b = tuple(rng.uniform(-1, 1, (n, n_out)).astype(np.float32) for n in hidden)
    t = -(-n_out // d_r)
    return PhotonicModel(
        hidden=hidden,
        n_outputs=n_out,
        B_ideal=b,
        B_realised=tuple(x + 1e-3 for x in b),
        readout=ReadoutParams(rows_per_bank=d_r, banks=3),
        provenance={"layout_sha256": "ab" * 32},
        calibration={"bits_median": 9.5},
        heater_mW=tuple(rng.uniform(0, 5, (n, t, d_r)).astype(np.float32) for n in hidden),
        channel_wl_um=np.linspace(1.55, 1.557, d_r),
        shift_nm=np.zeros((3, d_r)),
    )


def test_round_trip_and_sidecar(tmp_path):
    m = _model()
    path = save_photonic_model(m, tmp_path / "photonic_model.npz")
    back = load_photonic_model(path, hidden=(6, 4), n_outputs=10)
    assert back.hidden == (6, 4) and back.n_outputs == 10 and back.readout == m.readout
    for a, b in zip(back.B_realised + back.B_ideal, m.B_realised + m.B_ideal, strict=True):
        np.testing.assert_array_equal(a, b)
    assert back.heater_mW[0].shape == (6, 1, 10)
    assert back.calibration == {"bits_median": 9.5}
    side = json.loads((tmp_path / "photonic_model.json").read_text())
    assert side["schema"] == "photonic_dfa.photonic_model" and side["schema_version"] == 2
    assert side["npz"]["sha256"] == sha256_file(path)
    assert side["readout"]["adc_bits"] == m.readout.adc_bits
    assert not list(tmp_path.glob("*.tmp*"))  # atomic: no temporary files left


def test_mismatched_network_is_refused(tmp_path):
    path = save_photonic_model(_model(), tmp_path / "m.npz")
    with pytest.raises(ArtifactError, match=r"hidden sizes \[6, 4\].*\[800, 800\]"):
        load_photonic_model(path, hidden=(800, 800))
    with pytest.raises(ArtifactError, match="made for 10 outputs"):
        load_photonic_model(path, n_outputs=5)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: p.write_bytes(b"not a zip file at all"), "not a readable npz"),
        (lambda p: p.write_bytes(p.read_bytes()[:200]), "not a readable npz"),
        (lambda p: p.unlink(), "does not exist"),
    ],
)
def test_corrupt_files(tmp_path, damage, message):
    path = save_photonic_model(_model(), tmp_path / "m.npz")
    damage(path)
    with pytest.raises(ArtifactError, match=message):
        load_photonic_model(path)


def _rewrite(path, **changes):
    """Rewrite an npz with entries replaced (None deletes) or meta keys edited."""
    with np.load(path) as npz:
        data = {k: npz[k] for k in npz.files}
    meta_changes = changes.pop("meta", {})
    if meta_changes is None:
        data.pop("meta")
    elif meta_changes:
        meta = json.loads(str(data["meta"]))
        meta.update(meta_changes)
        data["meta"] = np.array(json.dumps(meta))
    for k, v in changes.items():
        if v is None:
            data.pop(k)
        else:
            data[k] = v
    buf = io.BytesIO()
    np.savez(buf, **data)
    path.write_bytes(buf.getvalue())


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"meta": {"schema_version": 99}}, "schema_version 99 is not supported"),
        ({"meta": {"schema": "something.else"}}, "not a photonic model"),
        ({"B_realised_1": np.zeros((5, 10), np.float32)}, r"B_realised_1 has shape \(5, 10\)"),
        ({"B_realised_0": np.full((6, 10), np.nan, np.float32)}, "NaN"),
        ({"B_ideal_0": None}, "missing array 'B_ideal_0'"),
        ({"meta": {"readout": {"encoding": "offset"}}}, "missing readout parameter"),
        ({"meta": {"hidden": [6, 0]}}, "hidden sizes must be >= 1"),
        ({"meta": None}, "no 'meta' entry"),
    ],
)
def test_invalid_content(tmp_path, changes, message):
    path = save_photonic_model(_model(), tmp_path / "m.npz")
    _rewrite(path, **changes)
    with pytest.raises(ArtifactError, match=message):
        load_photonic_model(path)


def test_bad_readout_values(tmp_path):
    path = save_photonic_model(_model(), tmp_path / "m.npz")
    readout = dataclasses.replace(_model().readout).to_dict()
    readout["encoding"] = "three_pass"
    readout["laser_power_mW"] = -1.0
    _rewrite(path, meta={"readout": readout})
    with pytest.raises(ArtifactError, match=r"encoding = 'three_pass'.*laser_power_mW = -1.0"):
        load_photonic_model(path)


def test_save_refuses_inconsistent_model(tmp_path):
    m = dataclasses.replace(_model(), hidden=(6, 5))
    with pytest.raises(ArtifactError, match="expected"):
        save_photonic_model(m, tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_readout_params_is_a_pytree_and_hashable():
    p = ReadoutParams()
    leaves, tree = jax.tree_util.tree_flatten(p)
    assert len(leaves) == len(dataclasses.fields(p)) - 8  # 8 static fields
    assert jax.tree_util.tree_unflatten(tree, leaves) == p
    assert hash(p) == hash(ReadoutParams())
    # unequal values: a static field gives another tree structure (jit traces anew), a leaf the
    # same structure; as a static argument, each unequal one is unequal and hashes differently
    for other, same_structure in (
        (ReadoutParams(adc_bits=p.adc_bits + 1), False),
        (ReadoutParams(encoding="two_pass"), False),
        (ReadoutParams(laser_power_mW=2 * p.laser_power_mW), True),
    ):
        assert other != p and hash(other) != hash(p)
        assert (jax.tree_util.tree_structure(other) == tree) is same_structure


def test_import_is_light():
    code = (
        "import sys; import photonic_dfa.network_model.artifact, photonic_dfa.network_model.readout;"
        "import photonic_dfa.network_model as nm; nm.photonic_feedback;"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('gdsfactory','simphony','sax')"
        " or m.startswith('photonic_dfa.circuits') or m.startswith('photonic_dfa.layout')];"
        "print(bad); assert not bad"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_npz_is_plain_arrays(tmp_path):
    path = save_photonic_model(_model(), tmp_path / "m.npz")
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
    assert {"B_ideal_0.npy", "B_realised_1.npy", "meta.npy", "channel_wl_um.npy"} <= names
    with np.load(path, allow_pickle=False) as npz:  # no pickled objects
        assert npz["B_realised_0"].dtype == np.float32


def test_drift_fields_round_trip_and_bad_shapes_are_refused(tmp_path):
    rng = np.random.default_rng(1)
    m = dataclasses.replace(
        _model(),
        drift={"ambient_K": 0.01, "recal_threshold_B": 0.01},
        drift_jac=tuple(rng.normal(size=(n, 1, 10, 10)).astype(np.float32) for n in (6, 4)),
        tile_bank=tuple((np.arange(n)[:, None] % 3).astype(np.int32) for n in (6, 4)),
    )
    back = load_photonic_model(save_photonic_model(m, tmp_path / "m.npz"))
    assert back.drift == m.drift
    for a, b in zip(back.drift_jac + back.tile_bank, m.drift_jac + m.tile_bank, strict=True):
        np.testing.assert_array_equal(a, b)
    bad = dataclasses.replace(m, tile_bank=(m.tile_bank[0] + 3, m.tile_bank[1]))
    with pytest.raises(ArtifactError, match="tile_bank_0"):
        save_photonic_model(bad, tmp_path / "bad.npz")
    bad = dataclasses.replace(m, drift_jac=(m.drift_jac[0][:, :, :5], m.drift_jac[1]))
    with pytest.raises(ArtifactError, match="drift_jac_0"):
        save_photonic_model(bad, tmp_path / "bad.npz")
