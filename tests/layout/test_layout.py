"""Layout stage: cells, GDS ↔ layout.json agreement, regression, bad input."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _helpers.gds_check import read_gds, wg_touches
from photonic_dfa.config import LayoutConfig, load_config
from photonic_dfa.errors import ArtifactError
from photonic_dfa.io import sha256_file
from photonic_dfa.layout import load_layout, plan_bank
from photonic_dfa.layout.planner import (
    DETECTOR_NETS,
    drop_bus_path,
    racetrack_arc,
    sbend_min_radius_um,
)
from photonic_dfa.layout.writer import write_layout


@pytest.fixture(scope="module")
def default_layout(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("layout")
    cfg = load_config(layout={"rings": 10, "banks": 8}).layout
    return write_layout(cfg, outdir)


def check_gds_matches_json(result) -> None:
    """The GDS read back agrees with layout.json: rings, heaters, centres, ports, no shorts."""
    d = result.description
    n_total = d.n_rings * d.n_banks
    shapes = read_gds(result.gds_path, {k: list(v) for k, v in d.layers.items()})
    assert len(shapes.rings) == n_total
    assert len(shapes.heaters) == n_total
    # every pad is on its own M3 island (no shorts): N heater pads, one shared ground and the
    # balanced detector pair's three per bank
    assert shapes.metal_islands == (d.n_rings + 4) * d.n_banks == len(d.pads)
    json_centers = sorted(r.center_um for b in d.banks for r in b.rings)
    gds_centers = sorted(shapes.ring_hole_centers)
    for (xj, yj), (xg, yg) in zip(json_centers, gds_centers, strict=True):
        assert abs(xj - xg) <= 1e-3 and abs(yj - yg) <= 1e-3  # within 1 nm
    # rings are separate polygons of their own size: none merged with a bus or a neighbour
    for box, ring in zip(
        sorted(shapes.rings, key=lambda b: (b.center().x, b.center().y)),
        sorted((r for b in d.banks for r in b.rings), key=lambda r: r.center_um),
        strict=True,
    ):
        w = ring.wg_width_nm * 1e-3
        # the radius-offset straights are vertical: the ring is taller, not wider
        assert box.width() == pytest.approx(2 * ring.radius_um + w, abs=0.01)
        assert box.height() == pytest.approx(2 * ring.radius_um + ring.straight_um + w, abs=0.01)
    # each bank's four optical ports sit on the end of a waveguide
    for bank in d.banks:
        assert set(bank.ports) == {"in", "through", "add", "drop"}
        for name, port in bank.ports.items():
            x, y = port.center_um
            inward = 0.1 if port.orientation_deg == 180 else -0.1
            assert wg_touches(shapes, x + inward, y), (bank.index, name)
    assert d.gds.sha256 == sha256_file(result.gds_path)


def test_default_array_writes_files_that_agree_and_verifies_clean(default_layout):
    r = default_layout
    for path in (r.gds_path, r.png_path, r.json_path, r.bank_png_path, r.lyp_path):
        assert path.exists() and path.stat().st_size > 1000
    assert r.png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert r.lyp_path.read_text().lstrip().startswith("<?xml")
    d = r.description
    assert (d.n_banks, d.n_rings, len(d.banks)) == (8, 10, 8)
    check_gds_matches_json(r)
    assert r.report is not None and r.report.ok, r.report.table()
    assert r.report.counts == {
        "heaters": 80,
        "detectors": 16,
        "pads": 112,
        "pad_nets": 112,
        "rings": 80,
    }
    assert r.lyrdb_path is not None and r.lyrdb_path.exists()


def test_pads_on_probe_pitch_with_shared_ground(default_layout):
    """N + 1 heater pads + 3 detector pads per bank, >= 75 µm on >= 100 µm centres, labelled."""
    d = default_layout.description
    for bank in range(d.n_banks):
        pads = [p for p in d.pads if p.bank == bank]
        nets = [p.net for p in pads]
        assert nets == ["gnd", *(f"h{i}" for i in range(d.n_rings)), *DETECTOR_NETS]
        xs = [p.center_um[0] for p in pads]
        assert min(b - a for a, b in zip(xs, xs[1:])) >= 100.0 - 1e-6
        assert all(p.size_um >= 75.0 for p in pads)
    assert d.pad_pitch_um == 100.0
    assert {(p.role, p.bank) for p in d.detectors} == {
        (role, b) for role in ("through", "drop") for b in range(d.n_banks)
    }


def test_layout_json_round_trip(default_layout):
    loaded = load_layout(default_layout.json_path)
    assert loaded == default_layout.description
    assert json.loads(loaded.to_json()) == json.loads(default_layout.json_path.read_text())


def test_ring_channel_assignment_and_bus_lengths(default_layout):
    d = default_layout.description
    cfg = d.parameters
    pitch = cfg.resolved_pitch_um()
    for bank in d.banks:
        assert [r.channel for r in bank.rings] == list(range(cfg.rings))
        xs = [r.center_um[0] for r in bank.rings]
        assert all(b - a == pytest.approx(pitch, abs=1e-3) for a, b in zip(xs, xs[1:]))
        # bus segment = pitch minus the two half coupling regions x ± R (the straights are
        # vertical); the drop bus's S-bend makes its segment longer by (π Δ)² / (16 L) to first order
        w = cfg.wg_width_nm * 1e-3
        for i, seg in enumerate(bank.bus_segments_um["through"]):
            a, b = bank.rings[i], bank.rings[i + 1]
            assert seg == pytest.approx(pitch - a.radius_um - b.radius_um, abs=1e-6)
            step, span = b.straight_um - a.straight_um, seg - 3 * w
            extra = bank.bus_segments_um["drop"][i] - seg
            assert extra == pytest.approx((math.pi * step) ** 2 / (16 * span), rel=0.02)
        # the round trip grows by 2π·(radius step) from ring to ring
        trips = [r.round_trip_um for r in bank.rings]
        step = cfg.radius_step_nm * 1e-3
        assert all(
            b - a == pytest.approx(2 * math.pi * step, abs=1e-9) for a, b in zip(trips, trips[1:])
        )


def test_regression_default_cell_settings():
    """Ring positions and derived settings of the default design (changes must be deliberate)."""
    cfg = LayoutConfig()
    plan = plan_bank(cfg)
    assert cfg.resolved_pitch_um() == pytest.approx(27.15)
    assert plan.ring_y_um == pytest.approx(10.65)
    assert plan.drop_y_um == pytest.approx(21.3)
    assert plan.drop_bus_y_um[-1] == pytest.approx(21.3 + math.pi * 0.081)
    assert plan.ring_x_um[:3] == pytest.approx((20.0, 47.15, 74.3))
    assert plan.bus_length_um == pytest.approx(284.35)
    assert plan.lead_width_um == 3.0
    assert plan.straights_um[-1] == pytest.approx(math.pi * 0.081)
    assert len(plan.pad_x_um) == 14 and plan.pad_x_um[1] - plan.pad_x_um[0] == pytest.approx(100)
    # the via stacks sit inside the ring, >= 1 µm clear of its inner edge
    r_in = plan.radius_um - plan.wg_width_um / 2
    for k, (x, y) in enumerate(plan.stub_ends_um[:2]):
        corner = math.hypot(abs(x - plan.ring_x_um[0]), abs(y - plan.ring_y_um)) + (
            plan.via_stack_um / 2
        ) * math.sqrt(2)
        assert corner <= r_in - 1.0, k


@pytest.mark.parametrize(("rings", "banks"), [(1, 1), (1, 3), (32, 1), (4, 5)])
def test_small_and_large_banks(tmp_path, rings, banks):
    result = write_layout(LayoutConfig(rings=rings, banks=banks), tmp_path)
    assert result.description.coupler_data == {"simphony_has_data": True, "notes": []}
    check_gds_matches_json(result)
    assert result.report is not None and result.report.ok, result.report.table()


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rings=st.integers(1, 12),
    banks=st.integers(1, 6),
    point=st.sampled_from([(10.0, 100.0), (10.0, 150.0), (18.0, 200.0)]),
    extra_pitch=st.floats(0.0, 20.0),
)
def test_any_valid_geometry_has_no_overlap_and_all_ports(
    tmp_path_factory, rings, banks, point, extra_pitch
):
    radius, gap = point
    base = LayoutConfig(rings=rings, banks=banks, radius_um=radius, gap_in_nm=gap, gap_drop_nm=gap)
    pitch = math.ceil((base.min_pitch_um() + extra_pitch) * 1000) / 1000
    cfg = LayoutConfig.model_validate({**base.model_dump(), "pitch_um": pitch})
    result = write_layout(cfg, tmp_path_factory.mktemp("hyp"))
    check_gds_matches_json(result)
    assert result.report is not None and result.report.ok, result.report.table()


def test_rings_too_small_for_via_stacks_fail_with_the_radius(tmp_path):
    with pytest.raises(ValueError, match=r"radius_um = 7 is too small for two 3 µm via stacks"):
        write_layout(LayoutConfig(rings=2, banks=1, radius_um=7.0), tmp_path)


def test_off_grid_coupler_is_noted_in_layout_json_with_nearest_points(tmp_path):
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*coupler data")  # in layout.json, not warned
        write_layout(LayoutConfig(rings=2, banks=1, gap_in_nm=140, gap_drop_nm=140), tmp_path)
    info = load_layout(tmp_path / "layout.json").coupler_data
    assert info["simphony_has_data"] is False
    assert len(info["notes"]) == 2  # both gaps
    assert "nearest points with data: R=10 µm gap=150 nm" in info["notes"][0]
    assert "coupler_in_s4p" in info["notes"][0]


def test_failed_write_keeps_earlier_results(tmp_path, monkeypatch):
    first = write_layout(LayoutConfig(rings=2, banks=1), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("photonic_dfa.layout.writer.render_png", boom)
    with pytest.raises(RuntimeError):
        write_layout(LayoutConfig(rings=3, banks=1), tmp_path)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before  # nothing half-written, nothing lost
    assert load_layout(first.json_path).n_rings == 2


def test_load_layout_errors(tmp_path):
    with pytest.raises(ArtifactError, match="does not exist"):
        load_layout(tmp_path / "missing.json")
    bad = tmp_path / "layout.json"
    bad.write_text("{not json")
    with pytest.raises(ArtifactError, match="not a readable JSON"):
        load_layout(bad)
    bad.write_text(json.dumps({"schema": "photonic_dfa.layout", "schema_version": 99}))
    with pytest.raises(ArtifactError, match="schema_version 99 is not supported"):
        load_layout(bad)
    bad.write_text(json.dumps({"schema": "other"}))
    with pytest.raises(ArtifactError, match="not a photonic_dfa layout"):
        load_layout(bad)


def test_coupling_regions_hold_only_the_half_circles_of_the_coupler_data():
    """Issue 12 item 4: the radius-offset straights are vertical, away from both buses; over
    ``x_i ± (R + 1.5 w)`` (the half-ring data's bus) both buses are straight at the data's gaps."""
    cfg = LayoutConfig(rings=4, radius_step_nm=0.0, radius_offsets_um=(0.0, 0.05, 0.2, 0.1))
    plan = plan_bank(cfg)
    r, w = plan.radius_um, plan.wg_width_um
    path = drop_bus_path(plan, points=257)
    for i, (x, s) in enumerate(zip(plan.ring_x_um, plan.straights_um, strict=True)):
        assert s == pytest.approx(math.pi * cfg.radius_offsets_um[i])
        assert plan.ring_y_um - r - w == pytest.approx(cfg.gap_in_nm * 1e-3, abs=1e-9)
        top = plan.ring_y_um + s + r + w / 2
        assert plan.drop_bus_y_um[i] - w / 2 - top == pytest.approx(
            cfg.gap_drop_nm * 1e-3, abs=1e-6
        )
        xs = np.linspace(x - r - 1.5 * w, x + r + 1.5 * w, 101)
        assert np.interp(xs, path[:, 0], path[:, 1]) == pytest.approx(plan.drop_bus_y_um[i])
        # the ring's centre line is the data's circle of radius R under and over the straights
        arc = racetrack_arc(x, plan.ring_y_um, r, s, -math.pi / 2, 1.5 * math.pi, 400)
        lower, upper = arc[arc[:, 1] <= plan.ring_y_um], arc[arc[:, 1] >= plan.ring_y_um + s]
        for half, cy in ((lower, plan.ring_y_um), (upper, plan.ring_y_um + s)):
            assert np.hypot(half[:, 0] - x, half[:, 1] - cy) == pytest.approx(r)
    # the drop bus's S-bends are gentle, and a step too steep for the pitch is refused
    assert plan.drop_bus_y_um[2] - plan.drop_bus_y_um[1] == pytest.approx(math.pi * 0.15)
    big = LayoutConfig(rings=2, radius_step_nm=0.0, radius_offsets_um=(0.0, 2.0))  # room
    span = big.resolved_pitch_um() - 2 * big.radius_um - 1.5
    assert sbend_min_radius_um(span, math.pi * 2.0) >= 5.0 - 1e-6
    with pytest.raises(ValueError, match="the room the drop bus's S-bends need"):
        LayoutConfig(rings=2, radius_step_nm=0.0, radius_offsets_um=(0.0, 2.0), pitch_um=25.0)


def _chip_box(result):
    import klayout.db as kdb

    layout = kdb.Layout()
    layout.read(str(result.gds_path))
    return layout.top_cell().dbbox()


def test_default_pads_sit_on_the_bottom_and_top_chip_edges(default_layout):
    """Edge floorplan: every pad of an even bank touches the chip's bottom edge, every pad of an
    odd (mirrored) bank its top edge; the area reported is the chip's."""
    r = default_layout
    d = r.description
    box = _chip_box(r)
    assert d.pad_layout == "edge"
    assert (box.width(), box.height()) == pytest.approx(d.chip_size_um, abs=1e-3)
    for p in d.pads:
        half = p.size_um / 2
        edge = (
            p.center_um[1] - half - box.bottom
            if p.bank % 2 == 0
            else box.top - p.center_um[1] - half
        )
        assert edge == pytest.approx(0.0, abs=1e-3), (p.bank, p.net)
    assert d.chip_area_mm2 == pytest.approx(d.chip_size_um[0] * d.chip_size_um[1] * 1e-6, rel=1e-3)
    assert d.area_per_ring_um2 == pytest.approx(d.chip_area_mm2 * 1e6 / 80, rel=1e-3)
    # mirrored banks: ring centres and ports mirrored, bus lengths as in bank 0
    b0, b1 = d.banks[0], d.banks[1]
    assert b1.bus_segments_um == b0.bus_segments_um
    assert b1.rings[0].center_um[1] < b1.ports["in"].center_um[1]  # rings below the input bus
    assert b0.rings[0].center_um[1] > b0.ports["in"].center_um[1]


def test_auto_takes_edge_pads_while_they_fit_and_bumps_beyond():
    from photonic_dfa.layout.planner import edge_column_pitch_um, resolve_pads

    assert resolve_pads(LayoutConfig()) == "edge"
    big = LayoutConfig(rings=16, banks=64)
    pitch = edge_column_pitch_um(plan_bank(big, "edge"), big.bank_spacing_um)
    assert 32 * pitch > big.max_chip_side_um  # 32 columns would be wider than the reticle
    assert resolve_pads(big) == "bump"
    assert resolve_pads(LayoutConfig(rings=16, banks=64, pads="edge")) == "edge"
    default_pitch = edge_column_pitch_um(plan_bank(LayoutConfig(), "edge"), 30.0)
    assert resolve_pads(LayoutConfig(max_chip_side_um=4 * default_pitch)) == "edge"
    assert resolve_pads(LayoutConfig(max_chip_side_um=4 * default_pitch - 1.0)) == "bump"
    plan = plan_bank(LayoutConfig(rings=16, banks=64))
    assert (plan.pad_kind, plan.pad_size_um, plan.pad_pitch_um) == ("bump", 25.0, 50.0)


def test_bump_array_is_smaller_than_pad_rows_and_verifies_clean(tmp_path):
    result = write_layout(LayoutConfig(rings=4, banks=3, pads="bump"), tmp_path)
    d = result.description
    assert d.pad_layout == "bump" and d.pad_pitch_um == 50.0
    check_gds_matches_json(result)
    assert result.report is not None and result.report.ok, result.report.table()
    edge = write_layout(LayoutConfig(rings=4, banks=3, pads="edge"), tmp_path / "edge")
    assert d.chip_area_mm2 < edge.description.chip_area_mm2


@pytest.mark.parametrize(
    ("patch", "fragment"),
    [
        ({"bump_size_um": 60.0, "bump_pitch_um": 50.0}, "bump_pitch_um = 50 must exceed"),
        ({"pads": "wirebond"}, "pads"),
        ({"bump_pitch_um": 30.0}, "bump_pitch_um"),
    ],
)
def test_bad_pad_settings_are_refused(patch, fragment):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=fragment):
        LayoutConfig(**patch)
