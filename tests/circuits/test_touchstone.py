"""Touchstone v1 export: port order stated, frequencies increasing, exact round trip."""

from __future__ import annotations

import numpy as np
import pytest

from photonic_dfa.circuits.models import SPEED_OF_LIGHT_M_PER_S
from photonic_dfa.circuits.touchstone import read_touchstone, write_touchstone
from photonic_dfa.errors import ArtifactError


def test_s4p_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    wl = np.linspace(1.54, 1.56, 7)
    s = rng.normal(size=(7, 4, 4)) + 1j * rng.normal(size=(7, 4, 4))
    path = write_touchstone(tmp_path / "bank_0.s4p", wl, s, comments=("heater 1.0 mW",))
    text = path.read_text()
    for i, name in enumerate(("in", "through", "add", "drop"), start=1):
        assert f"! Port {i}: {name}" in text
    assert "# HZ S RI R 50" in text
    freq, back, comments = read_touchstone(path)
    assert np.all(np.diff(freq) > 0)  # Touchstone needs increasing frequency
    order = np.argsort(SPEED_OF_LIGHT_M_PER_S / (wl * 1e-6))
    np.testing.assert_allclose(freq, SPEED_OF_LIGHT_M_PER_S / (wl[order] * 1e-6), rtol=1e-15)
    np.testing.assert_allclose(back, s[order], rtol=0, atol=1e-15)
    assert "heater 1.0 mW" in comments
    # rows: S_i1..S_i4 of row i on one line each (4-port Touchstone v1 layout)
    data_lines = [ln for ln in text.splitlines() if ln and ln[0] not in "!#"]
    assert len(data_lines) == 4 * 7 and all(len(ln.split()) in (8, 9) for ln in data_lines)


def test_reader_formats_and_errors(tmp_path):
    # magnitude/angle in GHz, as other tools write it
    p = tmp_path / "x.s1p"
    p.write_text("! one port\n# GHZ S MA R 50\n193.0 0.5 90\n194.0 1.0 0\n")
    freq, s, _ = read_touchstone(p)
    np.testing.assert_allclose(freq, [193e9, 194e9])
    np.testing.assert_allclose(s[:, 0, 0], [0.5j, 1.0], atol=1e-15)
    with pytest.raises(ArtifactError, match="does not exist"):
        read_touchstone(tmp_path / "missing.s4p")
    bad = tmp_path / "bad.s2p"
    bad.write_text("# HZ S RI R 50\n1 2 3\n")
    with pytest.raises(ArtifactError, match="not a multiple"):
        read_touchstone(bad)
