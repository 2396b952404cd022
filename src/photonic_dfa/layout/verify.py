"""``photonic-dfa verify``: DRC and connectivity of a weight-bank GDS, from the GDS alone.

Everything is read back from the GDS with KLayout's Python API (``klayout.db``); nothing of the
plan that drew it is used. Layers are the generic PDK's (:data:`GDS_LAYERS`), rule values those of
:class:`~photonic_dfa.layout.rules.DrcRules`.

* **DRC** (``Region`` checks): width and space per layer, exact via size, via spacing and
  enclosure, pad and bump size and pitch (a bump is an octagonal PADOPEN window, a pad a
  rectangular one), heater/M2/via keep-outs from the waveguides. Edge pairs inside a
  DRC_MARKER box (an intended coupling gap) are waived.
* **Electrical connectivity**: M3 (MTOP) is the only routing layer, so a net is an M3 island; a
  heater (a resistor, not a conductor) has a terminal wherever a VIA1 on it reaches an M3 island
  through a complete via stack (VIA1 in M2, VIA2 in that M2 and in M3).
  Every heater must have two terminals on two distinct nets that each reach a pad; a net that joins
  several heaters must be a ground (its pad labelled ``….gnd``); no net may hold two pads; no pad may
  be floating (reach neither a heater nor a detector); every detector must have two contacts on two
  nets with pads.
* **Optical connectivity** (``Region`` interactions, waveguides this close couple): from the
  grating labelled ``input`` every ring and every detector must be reached; a detector's germanium
  must sit on a reached waveguide; the gratings labelled ``loopback0``/``loopback1`` must reach
  each other; no waveguide may end in a bare end face (an open end) outside a detector.

:func:`verify_gds` returns a :class:`VerifyReport`; :meth:`VerifyReport.write_lyrdb` writes a
KLayout marker database to open over the GDS.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import klayout.db as kdb
import klayout.rdb as krdb

from photonic_dfa.errors import ArtifactError
from photonic_dfa.layout.rules import DrcRules

__all__ = ["GDS_LAYERS", "VerifyReport", "Violation", "verify_gds"]

#: generic PDK layers read by the checks: name -> (layer, datatype)
GDS_LAYERS: dict[str, tuple[int, int]] = {
    "wg": (1, 0),
    "ge": (5, 0),
    "m1": (41, 0),
    "heater": (47, 0),
    "via1": (44, 0),
    "m2": (45, 0),
    "via2": (43, 0),
    "m3": (49, 0),
    "pad_open": (46, 0),
    "slab": (2, 0),
    "text": (66, 0),
    "marker": (205, 0),
}

#: tolerance of every distance check (µm): polygons on the 1 nm grid deviate by a few nm
TOLERANCE_UM = 0.005
#: width/space checks ignore edges meeting at this angle or more (degrees): they form a corner
IGNORE_ANGLE_DEG = 60.0

#: violations listed per rule in the table (all of them go to the .lyrdb)
MAX_LISTED = 5


@dataclass(frozen=True)
class Violation:
    """One violation: the rule, what is wrong, where (µm, chip coordinates) and its marker shape."""

    rule: str
    message: str
    x_um: float
    y_um: float
    shape: kdb.DBox | kdb.DEdgePair | None = None


@dataclass
class VerifyReport:
    """Result of :func:`verify_gds`: the violations and what was found in the GDS."""

    gds_path: Path
    top_cell: str
    violations: list[Violation] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations

    def by_rule(self) -> dict[str, list[Violation]]:
        groups: dict[str, list[Violation]] = defaultdict(list)
        for v in self.violations:
            groups[v.rule].append(v)
        return dict(groups)

    def table(self) -> str:
        """The violations as a text table: rule, count, the first few with coordinates (µm)."""
        if self.ok:
            return "no violations"
        lines = [f"{'rule':<26} {'count':>6}  where (µm) / what"]
        for rule, items in sorted(self.by_rule().items()):
            for k, v in enumerate(items[:MAX_LISTED]):
                head = f"{rule:<26} {len(items):>6}" if k == 0 else " " * 33
                lines.append(f"{head}  ({v.x_um:.3f}, {v.y_um:.3f}) {v.message}")
            if len(items) > MAX_LISTED:
                lines.append(" " * 35 + f"… {len(items) - MAX_LISTED} more in the .lyrdb")
        return "\n".join(lines)

    def write_lyrdb(self, path: str | os.PathLike[str]) -> Path:
        """Write the violations as a KLayout marker database (one category per rule)."""
        rdb = krdb.ReportDatabase("photonic-dfa verify")
        rdb.original_file = str(self.gds_path)
        rdb.top_cell_name = self.top_cell
        cell = rdb.create_cell(self.top_cell)
        for rule, items in sorted(self.by_rule().items()):
            cat = rdb.create_category(rule)
            for v in items:
                item = rdb.create_item(cell.rdb_id(), cat.rdb_id())
                shape = v.shape or kdb.DBox(v.x_um - 0.5, v.y_um - 0.5, v.x_um + 0.5, v.y_um + 0.5)
                item.add_value(shape)
                item.add_value(v.message)
        path = Path(path)
        rdb.save(str(path))
        return path


class _Gds:
    """The layers of a GDS as flat merged regions (database units) and its text labels."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise ArtifactError(f"GDS file {str(path)!r} does not exist")
        layout = kdb.Layout()
        try:
            layout.read(str(path))
        except RuntimeError as exc:
            reason = str(exc).splitlines()[0]
            raise ArtifactError(f"{path}: not a readable GDS file ({reason})") from None
        tops = layout.top_cells()
        if len(tops) != 1:
            raise ArtifactError(f"{path}: needs exactly one top cell, found {len(tops)}")
        self.layout, self.top, self.dbu = layout, tops[0], layout.dbu
        self.index = {name: layout.layer(*ld) for name, ld in GDS_LAYERS.items()}
        self.regions = {
            name: kdb.Region(self.top.begin_shapes_rec(li)).merged()
            for name, li in self.index.items()
            if name != "text"
        }
        # hierarchical copies for the DRC: a cell placed M times is checked once
        self.dss = kdb.DeepShapeStore()
        self.deep = {
            name: kdb.Region(self.top.begin_shapes_rec(li), self.dss)
            for name, li in self.index.items()
            if name != "text"
        }
        self.counts: dict[str, int] = {}
        self.pad_boxes: list[kdb.DBox] = []
        self.labels: list[tuple[str, float, float]] = []
        it = self.top.begin_shapes_rec(self.index["text"])
        while not it.at_end():
            if it.shape().is_text():
                t = it.shape().text.transformed(it.trans())
                self.labels.append((t.string, t.x * self.dbu, t.y * self.dbu))
            it.next()

    def um(self, value: float) -> int:
        return round(value / self.dbu)

    def box_um(self, box: kdb.Box) -> kdb.DBox:
        return box.to_dtype(self.dbu)


def _edge_pair_violations(
    gds: _Gds, rule: str, message: str, pairs: kdb.EdgePairs, waive: kdb.Region | None = None
) -> list[Violation]:
    if waive is not None and not waive.is_empty():
        pairs = pairs.not_inside(waive)
    out = []
    for ep in pairs.each():
        d = ep.to_dtype(gds.dbu)
        c = d.bbox().center()
        out.append(Violation(rule, f"{message} ({d.distance():.3f} µm)", c.x, c.y, d))
    return out


def _region_violations(gds: _Gds, rule: str, message: str, region: kdb.Region) -> list[Violation]:
    out = []
    for poly in region.each():
        b = gds.box_um(poly.bbox())
        out.append(Violation(rule, message, b.center().x, b.center().y, b))
    return out


@dataclass(frozen=True)
class _DrcInputs:
    """What the DRC checks share: the GDS, its deep regions, the waivers and the detector zone."""

    gds: _Gds
    d: dict[str, kdb.Region]
    waive_gap: kdb.Region  # the intended coupling gaps
    waive_wg: kdb.Region  # the gaps and the gratings' sub-µm teeth
    detectors: kdb.Region  # the detector cells' own Si, contacts and vias

    def um(self, value: float) -> int:
        """A rule value less the grid tolerance, in database units."""
        return self.gds.um(value - TOLERANCE_UM)


_PROJ = kdb.Metrics.Projection


def _drc(gds: _Gds, rules: DrcRules) -> list[Violation]:
    waive_gap = gds.regions["marker"].sized(gds.um(0.01))
    ins = _DrcInputs(
        gds=gds,
        d=gds.deep,
        waive_gap=waive_gap,
        waive_wg=waive_gap | gds.regions["slab"].sized(gds.um(1.0)),
        detectors=gds.deep["ge"].sized(gds.um(20.0)),
    )
    v = _drc_width_space(ins, rules)
    v += _drc_vias(ins, rules)
    v += _drc_keep_outs(ins, rules)
    v += _pads(gds, rules)
    return v


def _drc_width_space(ins: _DrcInputs, rules: DrcRules) -> list[Violation]:
    """Minimum width and space of the waveguide, heater, M2 and M3 layers."""
    gds, d = ins.gds, ins.d
    v: list[Violation] = []
    for name, width, space in (
        ("wg", rules.wg_min_width_um, rules.wg_min_space_um),
        ("heater", rules.heater_min_width_um, rules.heater_min_space_um),
        ("m2", rules.m2_min_width_um, rules.m2_min_space_um),
        ("m3", rules.m3_min_width_um, rules.m3_min_space_um),
    ):
        if name == "wg":  # an intended bus gap is not a space: the bus is cut out of the coupler
            reg = d["wg"].with_holes(1, None, False) | (d["wg"].with_holes(0, False) - d["marker"])
        else:
            reg = d[name] - ins.detectors if name == "m2" else d[name]
        # edges meeting at 60° or more are corners, not a width or a gap: where a heater stub
        # joins the curved heater strip the two meet at 81°–99°
        v += _edge_pair_violations(
            gds,
            f"{name}.width",
            f"{name} narrower than {width:g} µm",
            d[name].width_check(ins.um(width), False, _PROJ, IGNORE_ANGLE_DEG),
            ins.waive_wg if name == "wg" else None,
        )
        v += _edge_pair_violations(
            gds,
            f"{name}.space",
            f"{name} closer than {space:g} µm",
            reg.space_check(ins.um(space), False, _PROJ, IGNORE_ANGLE_DEG),
            ins.waive_wg if name in ("wg", "heater") else None,
        )
    return v


def _drc_vias(ins: _DrcInputs, rules: DrcRules) -> list[Violation]:
    """Via size, spacing and enclosure by the layers below and above."""
    gds, d = ins.gds, ins.d
    v: list[Violation] = []
    size = gds.um(rules.via_size_um)
    for via, below, above in (
        ("via1", d["heater"] | d["m1"], d["m2"]),
        ("via2", d["m2"], d["m3"]),
    ):
        bad = [
            p
            for p in gds.regions[via].each()
            if (p.bbox().width(), p.bbox().height()) != (size, size)
        ]
        v += _region_violations(
            gds, f"{via}.size", f"{via} not {rules.via_size_um:g} µm square", kdb.Region(bad)
        )
        v += _edge_pair_violations(
            gds,
            f"{via}.space",
            f"{via} closer than {rules.via_min_space_um:g} µm",
            d[via].space_check(ins.um(rules.via_min_space_um), False, _PROJ),
        )
        for metal, label in ((below, "below"), (above, "above")):
            v += _region_violations(
                gds, f"{via}.enclosure", f"{via} outside the layer {label}", d[via] - metal
            )
            v += _edge_pair_violations(
                gds,
                f"{via}.enclosure",
                f"{via} enclosed by less than {rules.via_enclosure_um:g} µm ({label})",
                d[via].enclosed_check(metal, ins.um(rules.via_enclosure_um), False, _PROJ),
            )
    return v


def _drc_keep_outs(ins: _DrcInputs, rules: DrcRules) -> list[Violation]:
    """Keep-outs from the waveguides: heaters from the buses (they lie on their own ring), M2 and
    vias from everything (the detector's own contacts excepted)."""
    gds, d = ins.gds, ins.d
    buses = d["wg"].with_holes(0, False)
    v = _region_violations(
        gds, "heater.over_wg", "heater over a bus waveguide", d["heater"] & buses
    )
    v += _edge_pair_violations(
        gds,
        "heater.wg_space",
        f"heater closer than {rules.heater_wg_space_um:g} µm to a bus",
        d["heater"].separation_check(buses, ins.um(rules.heater_wg_space_um), False, _PROJ),
        ins.waive_gap,
    )
    lower = (d["m2"] | d["via1"] | d["via2"]) - ins.detectors
    wg = d["wg"] - ins.detectors
    v += _region_violations(gds, "via.over_wg", "via stack over a waveguide", lower & wg)
    v += _edge_pair_violations(
        gds,
        "via.wg_space",
        f"via stack closer than {rules.via_wg_space_um:g} µm to a waveguide",
        lower.separation_check(wg, ins.um(rules.via_wg_space_um), False, _PROJ),
    )
    return v


def _is_bump(window: kdb.Polygon) -> bool:
    """A PADOPEN window with eight corners is a flip-chip bump's (the PDK's ``bump_pad`` is an
    octagon); a rectangular one is a probe pad's."""
    return window.num_points_hull() == 8


def _pads(gds: _Gds, rules: DrcRules) -> list[Violation]:
    """Pad and bump size (the M3 around each PADOPEN window, opened by the minimum size, must
    still cover the window) and pitch (window centre to window centre; bump rules between two
    bumps, pad rules otherwise)."""
    windows = list(gds.regions["pad_open"].each())
    v = _contact_sizes(gds, [w for w in windows if not _is_bump(w)], "pad", rules.pad_min_size_um)
    v += _contact_sizes(gds, [w for w in windows if _is_bump(w)], "bump", rules.bump_min_size_um)
    centers = sorted(
        (gds.box_um(w.bbox()).center().x, gds.box_um(w.bbox()).center().y, _is_bump(w))
        for w in windows
    )
    reach = max(rules.pad_min_pitch_um, rules.bump_min_pitch_um)
    for i, (x, y, bump) in enumerate(centers):
        for x2, y2, bump2 in centers[i + 1 :]:
            if x2 - x >= reach:
                break
            kind = "bump" if bump and bump2 else "pad"
            pitch = rules.bump_min_pitch_um if kind == "bump" else rules.pad_min_pitch_um
            dist = ((x2 - x) ** 2 + (y2 - y) ** 2) ** 0.5
            if dist < pitch - 1e-3:
                v.append(
                    Violation(
                        f"{kind}.pitch",
                        f"{kind}s {dist:.1f} µm apart < {pitch:g} µm",
                        (x + x2) / 2,
                        (y + y2) / 2,
                        kdb.DBox(min(x, x2), min(y, y2), max(x, x2), max(y, y2)),
                    )
                )
    gds.pad_boxes = [gds.box_um(w.bbox()) for w in windows]
    return v


def _contact_sizes(
    gds: _Gds, windows: list[kdb.Polygon], kind: str, min_size_um: float
) -> list[Violation]:
    """Windows whose M3, opened by ``min_size_um`` (a square or octagon that small fits no
    more), no longer covers them: the pad or bump is too small."""
    if not windows:
        return []
    half = gds.um(min_size_um / 2 - 0.1)
    big = gds.regions["m3"].sized(-half).sized(half)
    shape = "square" if kind == "pad" else "across"
    v = []
    for poly in kdb.Region(windows).not_inside(big).each():
        b = gds.box_um(poly.bbox())
        c = b.center()
        v.append(
            Violation(
                f"{kind}.size", f"{kind} smaller than {min_size_um:g} µm {shape}", c.x, c.y, b
            )
        )
    return v


class _Islands:
    """The merged polygons of a region, found by point (a grid hash over their boxes)."""

    def __init__(self, region: kdb.Region, cell_dbu: int) -> None:
        self.polys = list(region.each())
        self.cell = cell_dbu
        self.grid: dict[tuple[int, int], list[int]] = defaultdict(list)
        for k, p in enumerate(self.polys):
            b = p.bbox()
            for gx in range(b.left // cell_dbu, b.right // cell_dbu + 1):
                for gy in range(b.bottom // cell_dbu, b.top // cell_dbu + 1):
                    self.grid[(gx, gy)].append(k)

    def at(self, point: kdb.Point) -> int | None:
        for k in self.grid.get((point.x // self.cell, point.y // self.cell), ()):
            if self.polys[k].inside(point):
                return k
        return None


@dataclass
class _Netlist:
    """The M3 nets of a GDS: heater and M3 islands, complete via stacks and pads by net."""

    gds: _Gds
    nets: _Islands  # M3 islands
    heaters: _Islands
    via1: kdb.Region  # VIA1s of complete via stacks
    plates: _Islands  # M2 plates holding a complete VIA2
    plate_net: dict[int, int]  # plate -> the M3 island its VIA2s reach
    pads_of: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))

    def net_of(self, point: kdb.Point) -> int | None:
        """The M3 island a VIA1 at ``point`` reaches through its plate's VIA2s."""
        plate = self.plates.at(point)
        return None if plate is None else self.plate_net.get(plate)

    def where(self, k: int, islands: _Islands) -> tuple[float, float, kdb.DBox]:
        b = self.gds.box_um(islands.polys[k].bbox())
        return b.center().x, b.center().y, b


def _electrical(gds: _Gds, rules: DrcRules) -> list[Violation]:
    nl = _netlist(gds)
    v: list[Violation] = []
    joined = _check_heaters(nl, v)
    used = set(joined)
    n_det = _check_detectors(nl, used, v)
    _check_pads(nl, used, v)
    gds.counts = {
        "heaters": len(nl.heaters.polys),
        "detectors": n_det,
        "pads": len(gds.pad_boxes),
        "pad_nets": len(nl.pads_of),
    }
    return v


def _netlist(gds: _Gds) -> _Netlist:
    """M3 islands, heaters, the complete via stacks (VIA2 inside M2 and M3, then VIA1 inside the
    heater (or M1) and an M2 plate holding such a VIA2) and the labelled pads of each net."""
    r = gds.regions
    um = gds.um
    nets = _Islands(r["m3"], um(50.0))
    heaters = _Islands(r["heater"], um(50.0))
    via2 = r["via2"].inside(r["m2"]).inside(r["m3"])
    plates = r["m2"].interacting(via2)
    via1 = r["via1"].inside(plates)
    plate_islands = _Islands(plates, um(20.0))
    plate_net: dict[int, int] = {}
    for v2 in via2.each():
        plate, net = plate_islands.at(v2.bbox().center()), nets.at(v2.bbox().center())
        if plate is not None and net is not None:
            plate_net[plate] = net
    nl = _Netlist(gds, nets, heaters, via1, plate_islands, plate_net)
    labels = {(round(x / gds.dbu), round(y / gds.dbu)): s for s, x, y in gds.labels}
    for b in gds.pad_boxes:
        c = b.center()
        name = _label_at(gds, labels, c.x, c.y)
        net = nets.at(kdb.DPoint(c.x, c.y).to_itype(gds.dbu))
        if net is not None:
            nl.pads_of[net].append(name)
    return nl


def _label_at(gds: _Gds, labels: dict[tuple[int, int], str], x: float, y: float) -> str:
    """The pad's text label (within 2 nm of its centre)."""
    ix, iy = round(x / gds.dbu), round(y / gds.dbu)
    for dx in (0, -1, 1, -2, 2):
        for dy in (0, -1, 1, -2, 2):
            if (ix + dx, iy + dy) in labels:
                return labels[(ix + dx, iy + dy)]
    return f"pad@({x:.1f}, {y:.1f})"


def _check_heaters(nl: _Netlist, v: list[Violation]) -> dict[int, list[int]]:
    """Each heater needs two terminals (complete stacks on it, by M3 island) on nets with pads;
    a net joining several heaters must be a ground. Returns the heaters on each net."""
    r = nl.gds.regions
    terms: dict[int, set[int]] = defaultdict(set)
    for via in nl.via1.interacting(r["heater"]).each():
        h = nl.heaters.at(via.bbox().center())
        net = nl.net_of(via.bbox().center())
        if h is not None and net is not None:
            terms[h].add(net)
    joined: dict[int, list[int]] = defaultdict(list)
    for h in range(len(nl.heaters.polys)):
        x, y, box = nl.where(h, nl.heaters)
        found = terms.get(h, set())
        if len(found) < 2:
            what = "no terminal" if not found else "one terminal"
            v.append(Violation("heater.open", f"heater with {what} (open via or lead)", x, y, box))
        for net in found:
            joined[net].append(h)
            if net not in nl.pads_of:
                v.append(Violation("net.no_pad", "heater terminal reaches no pad", x, y, box))
    for net, hs in joined.items():
        names = nl.pads_of.get(net, [])
        if len(hs) > 1 and not (len(names) == 1 and names[0].endswith("gnd")):
            x, y, box = nl.where(net, nl.nets)
            v.append(
                Violation(
                    "net.heaters_shorted",
                    f"one net joins {len(hs)} heaters and is no ground (pads {sorted(names)})",
                    x,
                    y,
                )
            )
    return joined


def _check_detectors(nl: _Netlist, used: set[int], v: list[Violation]) -> int:
    """Each detector needs two contact nets with pads: M3 islands reached through complete
    stacks from the M1 plates near its GE. Adds the nets to ``used``; returns the detector count."""
    r, gds = nl.gds.regions, nl.gds
    m1_vias = nl.via1.interacting(r["m1"])
    n_det = 0
    for poly in r["ge"].each():
        n_det += 1
        zone = kdb.Region(poly.bbox().enlarged(gds.um(15.0), gds.um(15.0)))
        found = {
            net
            for p in m1_vias.interacting(zone).each()
            if (net := nl.net_of(p.bbox().center())) is not None
        }
        b = gds.box_um(poly.bbox())
        c = b.center()
        if len(found) != 2:
            v.append(
                Violation(
                    "detector.contacts",
                    f"detector with {len(found)} contact nets, not 2",
                    c.x,
                    c.y,
                    b,
                )
            )
        for net in found:
            used.add(net)
            if net not in nl.pads_of:
                v.append(Violation("net.no_pad", "detector contact reaches no pad", c.x, c.y, b))
    return n_det


def _check_pads(nl: _Netlist, used: set[int], v: list[Violation]) -> None:
    """No net may hold two pads; no pad may reach neither a heater nor a detector."""
    for net, names in nl.pads_of.items():
        x, y, box = nl.where(net, nl.nets)
        if len(names) > 1:
            v.append(
                Violation("pad.shorted", f"pads {', '.join(sorted(names))} on one net", x, y, box)
            )
        if net not in used:
            v.append(
                Violation("pad.floating", f"pad {names[0]} reaches no heater or detector", x, y)
            )


def _label_point(gds: _Gds, name: str) -> tuple[float, float] | None:
    for s, x, y in gds.labels:
        if s == name:
            return x, y
    return None


def _broken(region: kdb.Region) -> kdb.Region:
    """A copy of ``region`` with its large polygons broken into pieces of <= 100 vertices:
    interaction tests against one huge polygon (a splitter tree with all its buses) are slow."""
    out = region.dup()
    out.break_(100, 4.0)
    return out


def _optical(gds: _Gds, rules: DrcRules) -> list[Violation]:
    # Optical components: waveguides closer than the coupling reach couple. The rings (holed
    # polygons) are the couplers between bus networks; a ring is represented by its bounding box,
    # which touches a straight bus where the ring does: buses → rings next to them → buses next
    # to those rings, until nothing new is reached.
    wg = gds.regions["wg"]
    v: list[Violation] = []
    rings = wg.with_holes(1, None, False).extents()
    buses = wg.with_holes(0, False)
    start = _grating_component(gds, buses, "input", v)
    if start is not None:
        _check_reached(gds, rules, rings, buses, start, v)
    a = _grating_component(gds, buses, "loopback0", v)
    b_ = _grating_component(gds, buses, "loopback1", v)
    if a is not None and b_ is not None and (a & b_).is_empty():
        p = _label_point(gds, "loopback0") or (0.0, 0.0)
        v.append(Violation("optical.loopback", "loopback gratings not joined", *p))
    v += _open_ends(gds, rules)
    return v


def _grating_component(
    gds: _Gds, buses: kdb.Region, name: str, v: list[Violation]
) -> kdb.Region | None:
    """The buses at the grating labelled ``name``, or None (and a violation) without the label."""
    p = _label_point(gds, name)
    if p is None:
        v.append(Violation("optical.label", f"no grating labelled {name!r}", 0.0, 0.0))
        return None
    seed = kdb.Region(kdb.DBox(p[0] - 15, p[1] - 15, p[0] + 15, p[1] + 15).to_itype(gds.dbu))
    return buses.interacting(seed)


def _check_reached(
    gds: _Gds,
    rules: DrcRules,
    rings: kdb.Region,
    buses: kdb.Region,
    start: kdb.Region,
    v: list[Violation],
) -> None:
    """From the ``start`` buses, every ring must be reached and every detector sit on a reached
    waveguide."""
    reach = gds.um(rules.coupling_reach_um)
    reached_buses, reached_rings = start, kdb.Region()
    while True:
        new_rings = rings.interacting(_broken(reached_buses).sized(reach))
        new_buses = buses.interacting(new_rings.sized(reach)) | reached_buses
        if new_rings.count() == reached_rings.count() and (
            new_buses.count() == reached_buses.count()
        ):
            break
        reached_buses, reached_rings = new_buses, new_rings
    for poly in rings.not_interacting(reached_rings).each():
        b = gds.box_um(poly.bbox())
        c = b.center()
        v.append(
            Violation("optical.ring_unreached", "ring not reached from the input", c.x, c.y, b)
        )
    for poly in gds.regions["ge"].not_interacting(_broken(reached_buses)).each():
        b = gds.box_um(poly.bbox())
        c = b.center()
        v.append(
            Violation(
                "optical.detector_off_wg",
                "detector not on a waveguide reached from the input",
                c.x,
                c.y,
                b,
            )
        )


def _open_ends(gds: _Gds, rules: DrcRules) -> list[Violation]:
    """Open ends: an end face as wide as a waveguide whose corners are both convex (just past
    either end of the edge, inside its side, there is no waveguide), outside a detector."""
    r, um = gds.regions, gds.um
    wg = r["wg"]
    w, tol, eps = um(rules.wg_width_um), um(0.02), um(0.05)
    detectors = r["ge"].sized(um(20.0))
    edges = list(wg.with_holes(0, False).edges().with_length(w - tol, w + tol, False).each())
    probes = _corner_probes(edges, eps)
    probe_region = kdb.Region()
    for box in probes:
        probe_region.insert(box)
    probe_region.merged_semantics = False  # keep each probe box a polygon of its own

    def keys(region: kdb.Region) -> set[tuple[int, int]]:
        return {(p.bbox().left, p.bbox().bottom) for p in region.each()}

    hit = keys(probe_region.interacting(wg)) | keys(probe_region.interacting(detectors))
    v: list[Violation] = []
    for k, e in enumerate(edges):
        p0, p1 = probes[2 * k], probes[2 * k + 1]
        if (p0.left, p0.bottom) in hit or (p1.left, p1.bottom) in hit:
            continue
        b = gds.box_um(e.bbox().enlarged(eps, eps))
        c = b.center()
        v.append(Violation("optical.open_end", "waveguide ends open", c.x, c.y, b))
    return v


def _corner_probes(edges: Sequence[kdb.Edge], eps: int) -> list[kdb.Box]:
    """Two tiny probe boxes per edge, just past either end of it, ``eps`` inside its side."""
    probes: list[kdb.Box] = []
    for e in edges:
        ux, uy = e.dx() / e.length(), e.dy() / e.length()
        for t, sign in ((0.0, -1), (1.0, 1)):
            # hulls run clockwise: the inside of an edge is on its right (ux, uy) -> (uy, -ux)
            px = e.p1.x + t * e.dx() + sign * ux * eps + uy * eps
            py = e.p1.y + t * e.dy() + sign * uy * eps - ux * eps
            probes.append(kdb.Box(round(px) - 1, round(py) - 1, round(px) + 1, round(py) + 1))
    return probes


def verify_gds(path: str | os.PathLike[str], rules: DrcRules | None = None) -> VerifyReport:
    """Run the DRC deck and the connectivity checks on the GDS at ``path``.

    Raises:
        ArtifactError: the file is missing, not a GDS, or has not exactly one top cell.
    """
    rules = rules or DrcRules()
    path = Path(path)
    gds = _Gds(path)
    report = VerifyReport(gds_path=path, top_cell=gds.top.name)
    report.violations += _drc(gds, rules)
    report.violations += _electrical(gds, rules)
    report.violations += _optical(gds, rules)
    report.counts = dict(gds.counts)
    report.counts["rings"] = gds.regions["wg"].with_holes(1, None, False).count()
    return report
