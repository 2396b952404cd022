"""`photonic-dfa verify`: clean on the drawn arrays, and each kind of defect injected into a copy of
the GDS (with klayout.db, independently of the code that drew it) is reported where it is."""

from __future__ import annotations

import math

import klayout.db as kdb
import pytest

from photonic_dfa.config import LayoutConfig
from photonic_dfa.errors import ArtifactError, ConfigError
from photonic_dfa.layout import plan_bank
from photonic_dfa.layout.rules import DrcRules, load_rules
from photonic_dfa.layout.verify import verify_gds
from photonic_dfa.layout.writer import write_layout

WG, M3, VIA1, PADOPEN = (1, 0), (49, 0), (44, 0), (46, 0)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A 4-ring, 1-bank array and its plan (bank 0's input port is at the origin)."""
    cfg = LayoutConfig(rings=4, banks=1)
    result = write_layout(cfg, tmp_path_factory.mktemp("small"))
    assert result.report is not None and result.report.ok, result.report.table()
    return result, plan_bank(cfg)


def _copy(result, tmp_path, *, flat: bool = True):
    layout = kdb.Layout()
    layout.read(str(result.gds_path))
    top = layout.top_cell()
    if flat:
        top.flatten(-1, True)
    return layout, top, tmp_path / "defect.gds"


def _erase(layout, top, layer, box: kdb.DBox) -> int:
    shapes = top.shapes(layout.layer(*layer))
    found = list(shapes.each_overlapping(box))
    for shape in found:
        shapes.erase(shape)
    return len(found)


def _rules_at(report, x: float, y: float, radius: float) -> set[str]:
    return {v.rule for v in report.violations if math.hypot(v.x_um - x, v.y_um - y) < radius}


def test_flattened_copy_is_clean(small, tmp_path):
    result, _ = small
    layout, _, path = _copy(result, tmp_path)
    layout.write(str(path))
    report = verify_gds(path)
    assert report.ok, report.table()
    assert report.counts["heaters"] == 4 and report.counts["pads"] == 4 + 4


def test_open_via_is_reported_at_its_heater(small, tmp_path):
    result, plan = small
    layout, top, path = _copy(result, tmp_path)
    x, y = plan.stub_ends_um[1]  # ring 0's signal via stack
    assert _erase(layout, top, VIA1, kdb.DBox(x - 1, y - 1, x + 1, y + 1)) >= 1
    layout.write(str(path))
    report = verify_gds(path)
    assert "heater.open" in _rules_at(report, plan.ring_x_um[0], plan.ring_y_um, 12.0)
    # the heater's signal pad is now connected to nothing
    assert any(v.rule == "pad.floating" and "b0.h0" in v.message for v in report.violations)
    assert not report.ok


def _short_first_two_heater_pads(result, plan, tmp_path):
    """A copy of the GDS with an M3 bar joining the first two heater pads."""
    layout, top, path = _copy(result, tmp_path)
    x0, x1 = plan.heater_pad_x_um[0], plan.heater_pad_x_um[1]
    top.shapes(layout.layer(*M3)).insert(kdb.DBox(x0, plan.pad_y_um - 5, x1, plan.pad_y_um + 5))
    layout.write(str(path))
    return path


def test_two_shorted_pads_are_reported(small, tmp_path):
    result, plan = small
    path = _short_first_two_heater_pads(result, plan, tmp_path)
    report = verify_gds(path)
    shorted = [v for v in report.violations if v.rule == "pad.shorted"]
    assert len(shorted) == 1 and "b0.h0, b0.h1" in shorted[0].message
    assert any(v.rule == "net.heaters_shorted" for v in report.violations)


def test_waveguide_gap_is_reported_as_open_ends_and_lost_rings(small, tmp_path):
    result, plan = small
    layout, top, path = _copy(result, tmp_path)
    x = (plan.ring_x_um[0] + plan.ring_x_um[1]) / 2
    li = layout.layer(*WG)
    region = kdb.Region(top.begin_shapes_rec(li)) - kdb.Region(
        kdb.DBox(x - 0.5, -1.0, x + 0.5, 1.0).to_itype(layout.dbu)
    )
    top.shapes(li).clear()
    top.shapes(li).insert(region)
    layout.write(str(path))
    report = verify_gds(path)
    ends = [v for v in report.violations if v.rule == "optical.open_end"]
    assert sorted(round(v.x_um, 1) for v in ends) == [round(x - 0.5, 1), round(x + 0.5, 1)]
    # (rings 1–3 are still reached, through ring 0 and the drop bus, as light would go)
    assert not any(v.rule == "optical.ring_unreached" for v in report.violations)


def test_detector_off_its_waveguide_is_reported(small, tmp_path):
    result, plan = small
    layout, top, path = _copy(result, tmp_path, flat=False)
    bank = next(c for c in layout.each_cell() if c.name.startswith("weight_bank_N"))
    detectors = [i for i in bank.each_inst() if "ge_detector" in i.cell.name]
    assert len(detectors) == 2
    through = min(detectors, key=lambda i: i.dbbox().center().y)
    through.transform(kdb.DTrans(0.0, 3.0))  # 3 µm up, off the through bus
    layout.write(str(path))
    report = verify_gds(path)
    off = [v for v in report.violations if v.rule == "optical.detector_off_wg"]
    assert len(off) == 1 and off[0].y_um == pytest.approx(plan.detector_y_um[0] + 3.0, abs=3.0)
    assert any(v.rule == "optical.open_end" for v in report.violations)  # the bus's end


def test_pad_too_small_is_reported(small, tmp_path):
    result, plan = small
    layout, top, path = _copy(result, tmp_path)
    x, y, half = plan.heater_pad_x_um[2], plan.pad_y_um, plan.pad_size_um / 2
    box = kdb.DBox(x - half + 0.01, y - half + 0.01, x + half - 0.01, y + half - 0.01)
    assert _erase(layout, top, M3, box) >= 1
    assert _erase(layout, top, PADOPEN, box) == 1
    top.shapes(layout.layer(*M3)).insert(kdb.DBox(x - 25, y - 25, x + 25, y + 25))
    top.shapes(layout.layer(*M3)).insert(kdb.DBox(x - 1.5, y + 24, x + 1.5, y + half + 1))
    top.shapes(layout.layer(*PADOPEN)).insert(kdb.DBox(x - 22, y - 22, x + 22, y + 22))
    layout.write(str(path))
    report = verify_gds(path)
    small_pads = [v for v in report.violations if v.rule == "pad.size"]
    assert [(round(v.x_um, 1), round(v.y_um, 1)) for v in small_pads] == [
        (round(x, 1), round(y, 1))
    ]
    assert {v.rule for v in report.violations} == {"pad.size"}  # still connected: nothing else


def test_stricter_rules_find_what_the_default_deck_allows(small, tmp_path):
    result, _ = small
    rules = tmp_path / "rules.toml"
    rules.write_text("[drc]\npad_min_pitch_um = 150.0\nm3_min_width_um = 5.0\n")
    report = verify_gds(result.gds_path, load_rules(rules))
    assert {"pad.pitch", "m3.width"} <= {v.rule for v in report.violations}
    assert load_rules(None) == DrcRules()


def test_lyrdb_holds_every_violation(small, tmp_path):
    result, plan = small
    path = _short_first_two_heater_pads(result, plan, tmp_path)
    report = verify_gds(path)
    lyrdb = report.write_lyrdb(tmp_path / "defect.lyrdb")
    text = lyrdb.read_text()
    assert "pad.shorted" in text and text.count("<item>") == len(report.violations)


def test_bad_inputs_are_one_line_errors(tmp_path):
    with pytest.raises(ArtifactError, match="does not exist"):
        verify_gds(tmp_path / "missing.gds")
    junk = tmp_path / "junk.gds"
    junk.write_text("not a gds")
    with pytest.raises(ArtifactError, match="not a readable GDS"):
        verify_gds(junk)
    bad = tmp_path / "rules.toml"
    bad.write_text("wg_min_widht_um = 0.3\n")
    with pytest.raises(ConfigError, match="unknown rule 'wg_min_widht_um'"):
        load_rules(bad)
    bad.write_text("wg_min_width_um = -1\n")
    with pytest.raises(ConfigError, match="wg_min_width_um = -1"):
        load_rules(bad)


@pytest.mark.slow
def test_1024_rings_verify_clean(tmp_path):
    result = write_layout(LayoutConfig(rings=16, banks=64), tmp_path)
    assert result.report is not None and result.report.ok, result.report.table()
    assert result.report.counts["rings"] == 1024
    assert result.report.counts["pads"] == 64 * (16 + 4)
    assert result.description.pad_layout == "bump"


@pytest.fixture(scope="module")
def bumps(tmp_path_factory):
    """A 3-ring, 2-bank array with flip-chip bumps."""
    cfg = LayoutConfig(rings=3, banks=2, pads="bump")
    result = write_layout(cfg, tmp_path_factory.mktemp("bumps"))
    assert result.report is not None and result.report.ok, result.report.table()
    return result, plan_bank(cfg)


def _octagon(x: float, y: float, across: float) -> kdb.DPolygon:
    r = across / 2 / math.cos(math.pi / 8)
    return kdb.DPolygon(
        [
            kdb.DPoint(
                x + r * math.cos(math.pi / 8 + k * math.pi / 4),
                y + r * math.sin(math.pi / 8 + k * math.pi / 4),
            )
            for k in range(8)
        ]
    )


def test_bump_too_small_is_reported(bumps, tmp_path):
    result, plan = bumps
    layout, top, path = _copy(result, tmp_path)
    x, y, half = plan.heater_pad_x_um[1], plan.pad_y_um, plan.pad_size_um / 2
    box = kdb.DBox(x - half + 0.01, y - half + 0.01, x + half - 0.01, y + half - 0.01)
    assert _erase(layout, top, M3, box) >= 1
    assert _erase(layout, top, PADOPEN, box) == 1
    top.shapes(layout.layer(*M3)).insert(_octagon(x, y, 15.0))
    top.shapes(layout.layer(*M3)).insert(kdb.DBox(x - 1.5, y + 7, x + 1.5, y + half + 1))
    top.shapes(layout.layer(*PADOPEN)).insert(_octagon(x, y, 10.0))
    layout.write(str(path))
    report = verify_gds(path)
    assert [(v.rule, round(v.x_um, 1), round(v.y_um, 1)) for v in report.violations] == [
        ("bump.size", round(x, 1), round(y, 1))
    ]


def test_bump_too_close_is_reported(bumps, tmp_path):
    result, plan = bumps
    layout, top, path = _copy(result, tmp_path)
    # a second bump 30 µm right of the last detector bump, on the same M3 (so not floating)
    x, y = plan.pad_x_um[-1] + 30.0, plan.pad_y_um
    top.shapes(layout.layer(*M3)).insert(_octagon(x, y, plan.pad_size_um))
    top.shapes(layout.layer(*M3)).insert(kdb.DBox(x - 30.0, y - 1.5, x, y + 1.5))
    top.shapes(layout.layer(*PADOPEN)).insert(_octagon(x, y, plan.pad_size_um - 5.0))
    layout.write(str(path))
    report = verify_gds(path)
    close = [v for v in report.violations if v.rule == "bump.pitch"]
    assert len(close) == 1 and "30.0 µm apart < 40 µm" in close[0].message
    assert close[0].x_um == pytest.approx(x - 15.0, abs=0.1)
    # the two bumps share a net: that is a short as well
    assert any(v.rule == "pad.shorted" for v in report.violations)
