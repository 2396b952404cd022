"""``photonic-dfa sweep`` and ``run_sweep``: files written, table printed, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from circuits.circuit_helpers import make_description, write_description
from photonic_dfa import cli
from photonic_dfa.circuits import load_spectra, read_touchstone, run_sweep
from photonic_dfa.config import CircuitConfig
from photonic_dfa.errors import ArtifactError


@pytest.fixture(scope="module")
def small_layout(tmp_path_factory):
    """Two banks of 3 rings (a real layout.json schema, written by hand from the layout plan)."""
    path = tmp_path_factory.mktemp("layout") / "layout.json"
    return write_description(path, make_description(banks=2, rings=3))


def _main(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["photonic-dfa", *args])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_cli_spectrum_writes_files_and_prints_the_ring_table(
    small_layout, tmp_path, monkeypatch, capsys
):
    outdir = tmp_path / "out"
    monkeypatch.setattr(
        sys,
        "argv",
        [
            "photonic-dfa",
            "sweep",
            str(small_layout),
            "-o",
            str(outdir),
            "--points",
            "801",
            "--wl-start-nm",
            "1544",
            "--wl-stop-nm",
            "1552",
        ],
    )
    try:
        cli.main()
    except SystemExit as exc:  # Typer may exit 0
        assert exc.code in (0, None)
    out = capsys.readouterr().out
    for col in ("resonance nm", "FSR nm", "ER dB", "FWHM pm", "loaded Q"):
        assert col in out
    for name in ("spectra.npz", "spectrum.png", "bank_0.s4p", "bank_1.s4p"):
        assert (outdir / name).stat().st_size > 1000
    spectra = load_spectra(outdir / "spectra.npz")
    assert spectra.kind == "spectrum"
    assert spectra.axes["through"] == ("bank", "wl")
    assert spectra.arrays["through"].shape == (2, 801)
    assert spectra.meta["parameters"]["circuit"]["points"] == 801
    assert spectra.meta["layout"]["sha256"]
    # the exported S-parameters are the spectra's
    freq, s, comments = read_touchstone(outdir / "bank_0.s4p")
    assert freq.size == 801 and any("Port 4: drop" in c for c in comments)
    np.testing.assert_allclose(
        np.abs(s[::-1, 3, 0]) ** 2, spectra.arrays["drop"][0], rtol=0, atol=1e-12
    )
    # biased: each ring's resonance sits on its channel
    np.testing.assert_allclose(
        spectra.arrays["resonance_nm"], spectra.arrays["channels_nm"], atol=2e-3
    )


@pytest.mark.parametrize(
    "args,match",
    [
        (["--wl-start-nm", "1560", "--wl-stop-nm", "1540"], "inverted"),
        (["--wl-start-nm", "1450", "--wl-stop-nm", "1560"], "outside simphony's half-ring data"),
        (["--kind", "nonsense"], "unknown sweep kind"),
        (["--heater-mW", "1,2"], "needs 1 or 3 values"),
    ],
)
def test_cli_bad_options_give_one_line(small_layout, tmp_path, monkeypatch, capsys, args, match):
    code, out, err = _main(
        monkeypatch, capsys, "sweep", str(small_layout), "-o", str(tmp_path / "o"), *args
    )
    assert code == 2
    assert match in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error:")
    assert "Traceback" not in err + out


def test_cli_bad_layouts_give_one_line(small_layout, tmp_path, monkeypatch, capsys):
    data = json.loads(small_layout.read_text())
    v99 = tmp_path / "v99.json"
    v99.write_text(json.dumps({**data, "schema_version": 99}))
    no_data = write_description(tmp_path / "r7.json", make_description(rings=2, radius_um=7.0))
    cases = [
        (tmp_path / "missing.json", "does not exist"),
        (v99, "schema_version 99 is not supported"),
        (no_data, "nearest valid points: R=10 µm gap=150 nm"),
    ]
    for path, match in cases:
        code, out, err = _main(monkeypatch, capsys, "sweep", str(path), "-o", str(tmp_path / "o"))
        assert code == 2, (path, err)
        assert match in err, err
        assert len(err.strip().splitlines()) == 1


def test_console_script_exit_status(small_layout, tmp_path):
    """The installed entry point: non-zero exit and one line on stderr."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "photonic_dfa",
            "sweep",
            str(tmp_path / "nope.json"),
            "-o",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "does not exist" in proc.stderr


def test_run_sweep_heater_design_corners(small_layout, tmp_path):
    cfg = CircuitConfig(heater_points=5, design_spacings_nm=(0.8, 1.6))
    heater = run_sweep(small_layout, cfg, tmp_path / "h", kind="heater", touchstone=False)
    assert float(heater.arrays["r_squared"]) > 0.999
    assert (tmp_path / "h" / "heater_tuning.png").exists()
    assert load_spectra(tmp_path / "h" / "spectra.npz").axes["shift_nm"] == ("power", "ring")

    design = run_sweep(small_layout, cfg, tmp_path / "d", kind="design", touchstone=False)
    a = design.arrays
    assert a["point_radius_um"].size >= 8  # every 500×220 data point
    radii = np.unique(a["point_radius_um"])
    fsr_r = np.array([a["point_fsr_nm"][a["point_radius_um"] == r].mean() for r in radii])
    # FSR ∝ 1/R (within the group-index spread), the R = 10 µm points are near 9.26 nm
    np.testing.assert_allclose(fsr_r * radii, fsr_r[0] * radii[0], rtol=0.06)
    r10 = a["point_radius_um"] == 10
    np.testing.assert_allclose(a["point_fsr_nm"][r10], 9.26, atol=0.05)
    # a wider gap gives a narrower line at equal radius
    g = a["point_gap_nm"][r10]
    assert a["point_fwhm_nm"][r10][np.argmax(g)] < a["point_fwhm_nm"][r10][np.argmin(g)]
    assert (tmp_path / "d" / "design.png").exists()

    corners = run_sweep(small_layout, cfg, tmp_path / "c", kind="corners", touchstone=False)
    c = corners.arrays
    assert c["has_data"].sum() == 5  # 480×210, 480×230, 500×220, 520×210, 520×230 at R = 10 µm
    nominal = (c["corner_width_nm"] == 500) & (c["corner_thickness_nm"] == 220)
    np.testing.assert_allclose(c["resonance_shift_nm"][nominal], 0.0, atol=1e-6)
    assert np.all(np.abs(c["resonance_shift_nm"][c["has_data"] & ~nominal]) > 0.5)
    assert any("no simphony half-ring data" in n for n in corners.notes)


def test_load_spectra_rejects_other_files(tmp_path):
    np.savez(tmp_path / "x.npz", a=np.zeros(3))
    with pytest.raises(ArtifactError, match="__meta__"):
        load_spectra(tmp_path / "x.npz")
    with pytest.raises(ArtifactError, match="does not exist"):
        load_spectra(tmp_path / "none.npz")
