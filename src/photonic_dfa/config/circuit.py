"""The ``[circuit]`` section: models, heater/thermal parameters and sweeps of the circuit stage."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from photonic_dfa.config._base import StageConfig

__all__ = ["COUPLER_DATA_WL_NM", "CircuitConfig"]

#: wavelength range (nm) of simphony's half-ring FDTD data (187.37–199.86 THz); nothing outside it
#: is evaluated (simphony's cubic spline would extrapolate silently)
COUPLER_DATA_WL_NM: tuple[float, float] = (1500.0, 1600.0)


class CircuitConfig(StageConfig):
    """Settings of the circuit stage (``photonic-dfa sweep``, :class:`~photonic_dfa.circuits.BankCircuit`).

    Physical defaults and where they come from:

    * ``dneff_dT_per_K = 1.8e-4`` /K: thermo-optic coefficient of crystalline Si at 1550 nm and room
      temperature (Komma et al., Appl. Phys. Lett. 101, 041905 (2012): 1.8–1.9e-4 /K), used for the
      effective index of the 500 × 220 nm strip, whose mode is ~90 % in Si (the oxide cladding's
      ~1e-5 /K is neglected).
    * ``thermal_impedance_K_per_mW = 5`` K/mW: temperature rise of the ring waveguide per mW of
      heater power for a metal heater ~1–2 µm above an unreleased SOI ring (no undercut or trenches).
      Published SOI micro-heaters are ~1–10 K/mW depending on heater length and isolation (e.g.
      Harris et al., Opt. Express 22, 10487 (2014); Jacques et al., Opt. Express 27, 10456 (2019));
      with the default ring this gives ≈ 0.25 nm/mW, i.e. ~37 mW per free spectral range, typical of
      unreleased ring heaters.
    * ``crosstalk_length_um = 10`` µm: decay length ℓ of the thermal crosstalk
      ``K_ik = exp(-d_ik/ℓ)`` between heater centroids a distance ``d_ik`` apart (0 disables). A
      neighbour at the default 25.7 µm pitch gets ~8 % of a heater's temperature rise, the order of
      the crosstalk measured between SOI heaters 20–30 µm apart without isolation trenches (Jacques et
      al. 2019). A model assumption to be fitted to measurements.
    * ``loss_dB_cm = 3`` dB/cm: propagation loss of SiEPIC-type 500 × 220 nm strip waveguides
      (sidewall scattering; Chrostowski & Hochberg, *Silicon Photonics Design*, CUP 2015, ch. 3).
      It is applied to every waveguide, including, as attenuation only, the half circumferences
      whose phase is in the FDTD half-ring data (that data has radiation but no scattering loss).
    * ``heater_max_mW = 20`` mW: largest heater power the drivers supply (per ring); rings that would
      need more to reach their channel are reported.

    Conditioning of simphony's half-ring FDTD data (see :mod:`photonic_dfa.circuits.passivity`):

    * ``coupler_reflections = "remove"``: the data contain a reflection of −40 to −31 dB
      (|S|² ≈ 1e-4 to 8e-4 over 1500–1600 nm) at each *ring* port and ≈ −60 dB at the bus ports,
      plus backward couplings (≈ −60 dB). They come
      from the FDTD ports cutting the ring's bend in half (a straight-guide port mode on a bend);
      the drawn ring is one continuous bend, with no reflector there. Kept, four such point
      reflectors per round trip couple the clockwise and counter-clockwise modes and split and
      distort every resonance (drop peaks scattered between 0.3 and 0.75 instead of 0.78–0.88 at
      R = 10 µm); ``"keep"`` reproduces that.
    * ``reciprocity = "symmetrize"`` and ``passivity = "svd_clip"``: see ``passivity.py``.

    Coupler data from the user: ``coupler_in_s4p`` / ``coupler_drop_s4p`` replace simphony's
    half-ring data by a foundry's or one's own 4-port S-parameters (Touchstone, read with
    scikit-rf; see :mod:`photonic_dfa.circuits.couplers` for the port order). The same conditioning
    applies, and the layout's radius and gap then need not be a point of simphony's table.

    The sweep wavelength grid must lie inside simphony's half-ring data, 1500–1600 nm.
    """

    wl_start_nm: float = Field(1540.0, ge=1000.0, le=2000.0, description="sweep start (nm)")
    wl_stop_nm: float = Field(1560.0, ge=1000.0, le=2000.0, description="sweep stop (nm)")
    points: int = Field(2001, ge=3, le=200_001, description="wavelength points of a spectrum")
    loss_dB_cm: float = Field(3.0, ge=0.0, le=100.0, description="waveguide loss (dB/cm)")
    dneff_dT_per_K: float = Field(
        1.8e-4, gt=0.0, le=1e-3, description="thermo-optic coefficient dn_eff/dT (1/K)"
    )
    thermal_impedance_K_per_mW: float = Field(
        5.0, gt=0.0, le=100.0, description="ring temperature rise per heater power (K/mW)"
    )
    heater_max_mW: float = Field(20.0, gt=0.0, le=1000.0, description="max heater power (mW)")
    crosstalk_length_um: float = Field(
        10.0, ge=0.0, le=10_000.0, description="thermal crosstalk decay length ℓ (µm); 0 = off"
    )
    channel_spacing_nm: float = Field(
        0.8, gt=0.0, le=50.0, description="WDM channel spacing (nm) of the channel grid"
    )
    channel_anchor_nm: float = Field(
        1550.0,
        ge=1000.0,
        le=2000.0,
        description="channel 0 is put just red of ring 0's cold resonance nearest this (nm)",
    )
    bias_margin_nm: float = Field(
        0.1,
        ge=0.0,
        le=50.0,
        description="smallest red shift every heater must give to reach its channel (nm)",
    )
    coupler_reflections: Literal["remove", "keep"] = Field(
        "remove",
        description="half-ring data: drop the reflections at its cut planes (see docstring)",
    )
    reciprocity: Literal["symmetrize", "none"] = Field(
        "symmetrize", description="coupler data: S ← (S + Sᵀ)/2 (FDTD data is reciprocal to ~0.2 %)"
    )
    passivity: Literal["svd_clip", "none"] = Field(
        "svd_clip", description="coupler data: clip singular values > 1 per wavelength"
    )
    coupler_in_s4p: str | None = Field(
        None,
        description="4-port Touchstone file of the input-side ring coupler, ports in simphony's "
        "half-ring order (1 bus in, 2 ring end on port 1's side, 3 bus out, 4 ring end); relative "
        "to the config file; default: simphony's half-ring data at the layout's radius and gap",
    )
    coupler_drop_s4p: str | None = Field(
        None,
        description="4-port Touchstone file of the drop-side ring coupler (same port order and "
        "default as coupler_in_s4p)",
    )
    heater_points: int = Field(21, ge=3, le=10_001, description="powers of a heater tuning curve")
    heater_ring: int = Field(0, ge=0, description="ring of the heater tuning curve")
    design_spacings_nm: tuple[float, ...] = Field(
        (0.4, 0.6, 0.8, 1.0, 1.2, 1.6, 2.0),
        min_length=1,
        description="channel spacings (nm) of the design sweep",
    )

    @model_validator(mode="after")
    def _check_ranges(self) -> CircuitConfig:
        if self.wl_stop_nm <= self.wl_start_nm:
            raise ValueError(
                f"wavelength range is inverted or empty: wl_start_nm = {self.wl_start_nm:g} >= "
                f"wl_stop_nm = {self.wl_stop_nm:g}"
            )
        lo, hi = COUPLER_DATA_WL_NM
        if self.wl_start_nm < lo or self.wl_stop_nm > hi:
            raise ValueError(
                f"wavelength range {self.wl_start_nm:g}–{self.wl_stop_nm:g} nm is outside "
                f"simphony's half-ring data ({lo:g}–{hi:g} nm)"
            )
        if any(s <= 0 for s in self.design_spacings_nm):
            raise ValueError("design_spacings_nm must all be > 0")
        return self

    def wl_grid_nm(self) -> tuple[float, float, int]:
        """The sweep grid as (start, stop, points)."""
        return self.wl_start_nm, self.wl_stop_nm, self.points
