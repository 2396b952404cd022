"""The TOML config: defaults, one-line errors, section overrides."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from photonic_dfa.config import Config, config_hash, load_config
from photonic_dfa.errors import ConfigError


def test_defaults_are_valid_and_frozen():
    cfg = load_config()
    assert isinstance(cfg, Config)
    assert cfg.layout.rings == 10 and cfg.layout.banks == 8
    with pytest.raises(ValidationError):
        cfg.layout.rings = 3  # frozen


def test_file_and_overrides(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[layout]\nrings = 4\nbanks = 2\n")
    cfg = load_config(path, layout={"banks": 3, "radius_um": None})
    assert (cfg.layout.rings, cfg.layout.banks) == (4, 3)
    assert cfg.layout.radius_um == 10.0


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[layout]\nringz = 3\n", "unknown key 'layout.ringz'"),
        ("[layuot]\nrings = 3\n", "unknown key 'layuot'"),
        ("[layout]\nrings = 0\n", "layout.rings = 0"),
        ("[layout]\nradius_um = -5\n", "layout.radius_um = -5"),
        ("[layout]\npitch_um = 10\n", "smaller than the ring diameter + gap"),
        ("[layout]\nrings = 2\nradius_offsets_um = [0.0]\n", "needs one per ring"),
        ("[layout\n", "not valid TOML"),
        ('preset = "lab"\n', "preset = 'lab' is not a shipped preset; use one of 'integrated'"),
    ],
)
def test_bad_config_is_one_line_naming_file_and_key(tmp_path, text, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert fragment in message
    assert str(path) in message
    assert "\n" not in message


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_config_hash_changes_with_values():
    a = load_config().layout
    b = load_config(layout={"rings": 4}).layout
    assert config_hash(a) == config_hash(load_config().layout)
    assert config_hash(a) != config_hash(b)


def test_presets_start_from_their_cited_values_and_the_file_overrides_them(tmp_path):
    bench = load_config(preset="bench")
    assert bench.preset == "bench"
    assert bench.model.link_loss_dB == 14.5 and bench.model.adc_enob == 6  # from bench.toml
    assert bench.layout == load_config().layout  # what the preset does not set stays default
    path = tmp_path / "c.toml"
    path.write_text('preset = "bench"\n[model]\nadc_bits = 10\n')
    cfg = load_config(path)
    assert (cfg.preset, cfg.model.adc_bits, cfg.model.link_loss_dB) == ("bench", 10, 14.5)
    assert (
        load_config(path, preset="integrated").model.link_loss_dB
        == load_config().model.link_loss_dB
    )
    assert load_config().preset is None


def test_adc_enob_sets_the_converter_noise_and_cannot_exceed_its_bits():
    m = load_config(model={"adc_bits": 8, "adc_enob": 6.0}).model
    # an ideal 6-bit quantiser's error variance: the 8-bit one's plus the converter noise
    lsb8, lsb6 = 2.0 / 2**8, 2.0 / 2**6
    assert lsb8**2 / 12 + (m.adc_noise_lsb() * lsb8) ** 2 == pytest.approx(lsb6**2 / 12)
    assert load_config().model.adc_noise_lsb() == 0.0
    assert m.resolved_yield_min_bits() == 6.0
    with pytest.raises(ConfigError, match=r"adc_enob = 9\.0"):
        load_config(model={"adc_bits": 8, "adc_enob": 9.0})
