"""The study file: axes, ranges, draws, seeds; bad input is one line and exit status 2 before
anything runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from _helpers.cli import run_cli
from photonic_dfa.errors import ConfigError
from photonic_dfa.study.spec import load_study


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_minimal_form_is_the_product_of_axes_and_seeds(tmp_path):
    write(tmp_path / "base.toml", "[training]\nhidden = [16]\n")
    study = load_study(
        write(
            tmp_path / "s.toml",
            'base = "base.toml"\nseeds = [1, 2]\n[axes]\n"model.adc_bits" = [6, 8]\n'
            '"model.fab_sigma_nm" = [0.25, 0.5]\n',
        )
    )
    assert len(study.points) == 8
    assert study.axes == ("model.adc_bits", "model.fab_sigma_nm", "seed")
    combos = {
        (p.config.model.adc_bits, p.config.model.fab_sigma_nm, p.config.training.seed)
        for p in study.points
    }
    assert len(combos) == 8
    assert all(p.config.training.hidden == (16,) for p in study.points)  # the base applies
    assert len({p.id for p in study.points}) == 8
    assert load_study(tmp_path / "s.toml").points[0].id == study.points[0].id  # stable ids


def test_ranges_linear_log_and_integer(tmp_path):
    study = load_study(
        write(
            tmp_path / "s.toml",
            '[axes]\n"model.laser_power_mW" = { start = 1.0, stop = 100.0, num = 3, scale = "log" }\n'
            '"model.fab_seed" = { start = 0, stop = 4 }\n',
        )
    )
    powers = sorted({p.values["model.laser_power_mW"] for p in study.points})
    assert np.allclose(powers, [1.0, 10.0, 100.0])
    assert sorted({p.values["model.fab_seed"] for p in study.points}) == [0, 1, 2, 3]
    assert len(study.points) == 12


def test_latin_hypercube_has_one_draw_per_stratum(tmp_path):
    study = load_study(
        write(
            tmp_path / "s.toml",
            '[draws]\nmethod = "lhs"\nn = 10\nseed = 3\n[draws.axes]\n'
            '"model.rin_dB_Hz" = { low = -160.0, high = -140.0 }\n'
            '"model.tia_noise_pA_rtHz" = { low = 1.0, high = 100.0, scale = "log" }\n',
        )
    )
    rin = np.array([p.values["model.rin_dB_Hz"] for p in study.points])
    strata = np.floor((rin + 160.0) / 2.0).astype(int)
    assert sorted(strata) == list(range(10))  # each tenth of the range exactly once
    tia = np.log10([p.values["model.tia_noise_pA_rtHz"] for p in study.points])
    assert sorted(np.floor(tia / 0.2).astype(int)) == list(range(10))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[axes]\n"model.adc_bitz" = [6, 8]\n', "unknown config key 'model.adc_bitz'"),
        ('[axes]\n"model.recal_settle_us" = [10.0]\n', "'model.recal_settle_us' was replaced"),
        ('[axes]\n"model.adc_bits" = []\n', "'model.adc_bits' is empty"),
        ('[axes]\n"model.adc_bits" = [6, 99]\n', "adc_bits = 99"),
        ('base = "bad.toml"\n[axes]\n"model.adc_bits" = [6]\n', "base config"),
    ],
)
def test_bad_study_files_are_one_line_and_exit_2(tmp_path, text, expected):
    write(tmp_path / "bad.toml", "[model]\nadc_bits = 0\n")
    study = write(tmp_path / "s.toml", text)
    with pytest.raises(ConfigError, match=r"s\.toml"):
        load_study(study)
    result = run_cli("study", study, "-o", tmp_path / "out")
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "\n" not in line and expected in line and str(study) in line
    assert not (tmp_path / "out").exists()  # nothing ran, nothing written


def test_unreachable_scheduler_is_one_line_before_any_point(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    study = write(tmp_path / "s.toml", '[axes]\n"training.lr" = [0.01]\n')
    result = run_cli(
        "study", study, "-o", tmp_path / "out", "--scheduler", f"tcp://127.0.0.1:{port}"
    )
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "\n" not in line and f"tcp://127.0.0.1:{port}" in line and "scheduler" in line
    assert not list((tmp_path / "out" / "points").glob("*.json"))


def test_example_studies_load_with_their_sizes():
    examples = Path(__file__).resolve().parents[2] / "examples" / "studies"
    adc = load_study(examples / "adc_laser.toml")
    assert len(adc.points) == 27 and adc.axes[-1] == "seed"
    assert {p.config.training.hidden for p in adc.points} == {(32,)}  # small.toml applies
    yld = load_study(examples / "yield.toml")
    assert len(yld.points) == 120
    assert sorted({p.config.model.fab_sigma_nm for p in yld.points}) == [0.25, 0.5, 1.0]
    assert len({p.config.model.fab_seed for p in yld.points}) == 20


def test_a_result_counts_as_done_only_for_the_same_config(tmp_path):
    from photonic_dfa.study.point import identity
    from photonic_dfa.study.runner import is_done

    write(tmp_path / "base.toml", "[training]\nepochs = 1\n")
    study = write(tmp_path / "s.toml", 'base = "base.toml"\n[axes]\n"training.lr" = [0.01]\n')
    point = load_study(study).points[0]
    row = {"id": point.id, "status": "ok", **identity(point)}
    assert is_done(row, point)
    assert not is_done({**row, "status": "failed"}, point) and not is_done(None, point)
    write(tmp_path / "base.toml", "[training]\nepochs = 2\n")  # the base edited: same id
    edited = load_study(study).points[0]
    assert edited.id == point.id and not is_done(row, edited)
