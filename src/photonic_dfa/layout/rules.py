"""The DRC deck of ``photonic-dfa verify``: rule values for gdsfactory's generic PDK.

The generic PDK ships no DRC deck, so the values come from where the PDK itself fixes them:

* **vias** — ``gf.components.via1`` / ``via2`` (``gdsfactory/components/vias/via.py``): 0.7 µm
  square vias on a 2 µm pitch (1.3 µm apart), enclosed by 1 µm of the layers below and above; the
  via stacks (``via_stack_heater_mtop``) are built from them.
* **waveguides** — the ``strip`` cross-section: 0.5 µm wide; the narrowest Si drawn by the PDK's
  cells is the terminator's 0.2 µm tip, the narrowest gap the 0.25 µm between the ``mmi1x2``'s
  output tapers: minimum width and space 0.2 µm. An intended coupler (the 150 nm bus gaps) carries
  a DRC_MARKER box (205/0); the sub-µm teeth of the gratings lie under their SLAB150 (2/0).
* **pads** — ``gf.components.pad`` on M3 (MTOP) with a PADOPEN window; size and pitch are what a
  probe card or a wire bonder needs (>= 75 µm pads on >= 100 µm centres); flip-chip bumps
  (``gf.components.bump_pad``: an MTOP octagon, here with an octagonal PADOPEN window) are
  Cu-pillar micro-bumps, >= 20 µm across on >= 40 µm centres (micro-bump pitches in production
  are 40–55 µm, e.g. 45 µm on Xilinx's Virtex-7 2000T interposer).
* **metal** — the heater and M2 plates of the via stacks are at least 2.7 µm (one via + its
  enclosure); the M3 leads of this project are 3 µm wide and 3 µm apart.
* **keep-outs** — heater, M2 and vias >= 1 µm from any waveguide they do not heat (a heater may
  lie on its own ring; within a coupling region marker it may come close to the bus).

A rules file for ``--rules`` is TOML with any of these keys at the top level (or in a ``[drc]``
table), e.g. ``m3_min_space_um = 5.0``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import Field, ValidationError

from photonic_dfa.config._base import StageConfig
from photonic_dfa.errors import ConfigError

__all__ = ["DrcRules", "load_rules"]


class DrcRules(StageConfig):
    """Rule values (µm) of the DRC and the connectivity check."""

    wg_min_width_um: float = Field(0.2, gt=0, description="Si waveguide width")
    wg_min_space_um: float = Field(0.2, gt=0, description="waveguide to waveguide, off-coupler")
    wg_width_um: float = Field(
        0.5, gt=0, description="nominal width: an end face this wide is open"
    )
    heater_min_width_um: float = Field(0.5, gt=0, description="heater strip")
    heater_min_space_um: float = Field(1.0, gt=0, description="heater to heater")
    heater_wg_space_um: float = Field(1.0, ge=0, description="heater to a bus (not its ring)")
    m2_min_width_um: float = Field(2.7, gt=0)
    m2_min_space_um: float = Field(2.0, gt=0)
    m3_min_width_um: float = Field(3.0, gt=0)
    m3_min_space_um: float = Field(3.0, gt=0)
    via_size_um: float = Field(0.7, gt=0, description="VIA1/VIA2 side (exact)")
    via_min_space_um: float = Field(1.3, gt=0)
    via_enclosure_um: float = Field(1.0, ge=0, description="by the layers below and above")
    via_wg_space_um: float = Field(1.0, ge=0, description="VIA1/M2/VIA2 to a waveguide")
    pad_min_size_um: float = Field(75.0, gt=0, description="pad metal side")
    pad_min_pitch_um: float = Field(100.0, gt=0, description="pad centre to pad centre")
    bump_min_size_um: float = Field(20.0, gt=0, description="bump metal, across flats")
    bump_min_pitch_um: float = Field(40.0, gt=0, description="bump centre to bump centre")
    coupling_reach_um: float = Field(
        0.4, gt=0, description="waveguides this close couple (optical connectivity)"
    )


def load_rules(path: str | os.PathLike[str] | None = None) -> DrcRules:
    """The default deck, or the deck with the values of a TOML ``path`` replaced.

    Raises:
        ConfigError: the file is missing, not TOML, has an unknown key or an invalid value.
    """
    if path is None:
        return DrcRules()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"rules file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable TOML rules file ({exc})") from None
    data = data.get("drc", data)
    try:
        return DrcRules.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            raise ConfigError(f"{path}: unknown rule {key!r}") from None
        raise ConfigError(
            f"{path}: rule {key} = {err.get('input')!r} is invalid ({err['msg']})"
        ) from None
