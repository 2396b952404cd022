"""Seeds of one chip grouped into one ``train_many`` task share the model; the first seed's
row is that of its point run alone."""

from __future__ import annotations

import pytest

from photonic_dfa.study.runner import groups, run_sequential
from photonic_dfa.study.spec import load_study

pytestmark = pytest.mark.slow


def test_grouped_seeds_equal_single_points(tmp_path):
    (tmp_path / "base.toml").write_text(
        "[layout]\nrings = 4\nbanks = 1\n[model]\ncalibration = 'model'\n"
        "[run]\nbaselines = []\n[training]\nhidden = [16]\nepochs = 1\n"
    )
    (tmp_path / "s.toml").write_text('base = "base.toml"\nseeds = [1, 2]\n')
    study = load_study(tmp_path / "s.toml")
    assert [len(t) for t in groups(list(study.points), True)] == [2]
    assert [len(t) for t in groups(list(study.points), False)] == [1, 1]
    grouped = run_sequential(study, tmp_path / "grouped")
    single = run_sequential(study, tmp_path / "single", group_seeds=False)
    assert [r["status"] for r in grouped + single] == ["ok"] * 4
    for g, s in zip(grouped, single, strict=True):
        assert g["id"] == s["id"] and g["seed"] == s["seed"]
        assert g["mac_bits"] == s["mac_bits"]  # one model for both seeds
    # the first seed's run is its single run (unrolled on a CPU); the others share its
    # validation/test split (train_many), so they are other draws of the same protocol
    assert grouped[0]["test_acc"] == pytest.approx(single[0]["test_acc"], abs=1e-6)
    assert grouped[0]["val_acc"] == pytest.approx(single[0]["val_acc"], abs=1e-6)
    assert abs(grouped[1]["test_acc"] - single[1]["test_acc"]) < 0.05
    assert grouped[0]["test_acc"] != grouped[1]["test_acc"]
    assert grouped[1]["model_status"] == "group" and grouped[0]["model_status"] == "ran"
