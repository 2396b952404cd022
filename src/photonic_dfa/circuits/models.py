"""Component models of the bus circuit: waveguides (SAX style); conventions of the half-ring couplers.

Waveguide models are pure keyword-only functions ``model(*, wl, **params) -> SDict`` (``wl`` in µm,
every parameter defaulted, jit/vmap/grad-able) with ports ``o0``/``o1``; their propagation constant
is simphony's SiEPIC strip-waveguide compact model (``simphony.libraries.siepic.waveguide``: the
Taylor expansion of β(ω) to second order around 1550 nm from Lumerical MODE data, one file per
width × thickness), re-implemented here in JAX with the coefficients read once from simphony's data.

The half-ring couplers are simphony's SiEPIC ``half_ring`` (``ebeam_dc_halfring_straight``) FDTD
S-parameters or a user's Touchstone data (:mod:`~photonic_dfa.circuits.couplers`), interpolated
onto the wavelength grid **outside jit** and then used as constant arrays. Their ports, as drawn by
the SiEPIC cell::

        port_2 (ring, left end)        port_4 (ring, right end)
              │                              │
               ╲____________________________╱       half circle of radius R, centre at y = R + w + g
     port_1 ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ port_3     bus, x from -(R + 1.5 w) to +(R + 1.5 w)

The data thus include the phase of the half circumference and of a bus of length ``2R + 3w``
(pins of the SiEPIC PCell at ``x = ±(R + w/2 + w)``). Matrices here use the RF convention
``b = S a``: ``S[..., out, in]``, with simphony's key ``(port_out, port_in)`` read as in the
Lumerical file it comes from.
"""

from __future__ import annotations

import functools
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from photonic_dfa.config.circuit import COUPLER_DATA_WL_NM
from photonic_dfa.errors import ConfigError

__all__ = [
    "HALF_RING_PORTS",
    "SPEED_OF_LIGHT_M_PER_S",
    "SPEED_OF_LIGHT_UM_PER_S",
    "WaveguideCoefficients",
    "check_wavelengths",
    "group_index",
    "half_ring_bus_length_um",
    "ideal_half_ring_matrix",
    "propagation_constant_per_um",
    "sdict_from_matrix",
    "waveguide",
    "waveguide_coefficients",
    "waveguide_transmission",
]

SPEED_OF_LIGHT_M_PER_S = 299_792_458.0
SPEED_OF_LIGHT_UM_PER_S = SPEED_OF_LIGHT_M_PER_S * 1e6
HALF_RING_PORTS: tuple[str, str, str, str] = ("port_1", "port_2", "port_3", "port_4")
_LOG10_E = math.log10(math.e)


# --------------------------------------------------------------------------------------------
# Waveguide
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaveguideCoefficients:
    """simphony's strip-waveguide model: β(ω) = 2π n_eff/λ0 + n_g/c·Δω − D λ0²/(4πc)·Δω².

    Attributes:
        wl0_um: expansion wavelength (µm).
        neff: effective index at ``wl0_um``.
        ng: group index at ``wl0_um``.
        dispersion_s_m2: dispersion parameter D (s/m²).
        width_nm, thickness_nm: the strip's cross-section.
    """

    wl0_um: float
    neff: float
    ng: float
    dispersion_s_m2: float
    width_nm: float
    thickness_nm: float

    def as_params(self) -> dict[str, float]:
        """The keyword parameters of :func:`waveguide` for this cross-section."""
        return {
            "wl0_um": self.wl0_um,
            "neff": self.neff,
            "ng": self.ng,
            "dispersion_s_m2": self.dispersion_s_m2,
        }


def _simphony_data_dir() -> Path:
    spec = importlib.util.find_spec("simphony")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("simphony is not installed (pip install simphony==0.7.3)")
    return Path(spec.submodule_search_locations[0]) / "libraries" / "siepic" / "source_data"


@functools.cache
def waveguide_coefficients(
    width_nm: float = 500.0, thickness_nm: float = 220.0
) -> WaveguideCoefficients:
    """Read simphony's TE strip-waveguide coefficients for a width × thickness (nm).

    Raises:
        ConfigError: simphony has no waveguide data for this cross-section.
    """
    if width_nm != int(width_nm) or thickness_nm != int(thickness_nm):
        raise ConfigError(
            f"waveguide {width_nm:g}×{thickness_nm:g} nm: simphony's waveguide data exist only at "
            "integer nm (e.g. 500×220)"
        )
    folder = _simphony_data_dir() / "wg_integral_source"
    path = folder / f"WaveGuideTETMStrip,w={int(width_nm)},h={int(thickness_nm)}.txt"
    if not path.is_file():
        have = sorted(p.name for p in folder.glob("WaveGuideTETMStrip,*.txt"))
        sample = ", ".join(n.removeprefix("WaveGuideTETMStrip,").removesuffix(".txt") for n in have)
        raise ConfigError(
            f"no simphony waveguide data for width {width_nm:g} nm × thickness "
            f"{thickness_nm:g} nm (available: {sample[:200]}…)"
        )
    lam0, ne, _, ng, _, nd, _ = np.loadtxt(path)
    return WaveguideCoefficients(
        wl0_um=float(lam0) * 1e6,
        neff=float(ne),
        ng=float(ng),
        dispersion_s_m2=float(nd),
        width_nm=float(width_nm),
        thickness_nm=float(thickness_nm),
    )


_DEFAULT = {"wl0_um": 1.55, "neff": 2.44553, "ng": 4.19088, "dispersion_s_m2": 3.54275e-4}


def _xp(*args):
    """numpy for concrete numpy/Python inputs (data loading outside jit: no JAX dispatch or
    compilation), jax.numpy as soon as one input is a JAX array or tracer."""
    return jnp if any(isinstance(a, jax.Array) for a in args) else np


def propagation_constant_per_um(
    wl: ArrayLike,
    *,
    wl0_um: float = _DEFAULT["wl0_um"],
    neff: float = _DEFAULT["neff"],
    ng: float = _DEFAULT["ng"],
    dispersion_s_m2: float = _DEFAULT["dispersion_s_m2"],
) -> jnp.ndarray:
    """β(λ) in rad/µm, exactly simphony's ``siepic.waveguide`` formula (``wl`` in µm)."""
    xp = _xp(wl)
    c = SPEED_OF_LIGHT_UM_PER_S
    domega = 2 * np.pi * c * (1 / xp.asarray(wl) - 1 / wl0_um)  # rad/s
    lam0_m = wl0_um * 1e-6
    # D λ0² / (4π c) Δω² in 1/m, converted to 1/µm
    quad = dispersion_s_m2 * lam0_m**2 / (4 * np.pi * SPEED_OF_LIGHT_M_PER_S) * domega**2 * 1e-6
    return 2 * np.pi * neff / wl0_um + ng / c * domega - quad


def group_index(
    wl: ArrayLike,
    *,
    wl0_um: float = _DEFAULT["wl0_um"],
    neff: float = _DEFAULT["neff"],
    ng: float = _DEFAULT["ng"],
    dispersion_s_m2: float = _DEFAULT["dispersion_s_m2"],
) -> jnp.ndarray:
    """Group index n_g(λ) = c dβ/dω of the waveguide model (``wl`` in µm)."""
    del neff
    xp = _xp(wl)
    domega = (
        2 * np.pi * SPEED_OF_LIGHT_M_PER_S * (1 / (xp.asarray(wl) * 1e-6) - 1 / (wl0_um * 1e-6))
    )
    return ng - dispersion_s_m2 * (wl0_um * 1e-6) ** 2 / (2 * np.pi) * domega


def waveguide_transmission(
    wl: ArrayLike,
    *,
    length_um: ArrayLike = 0.0,
    loss_dB_cm: float = 0.0,
    extra_phase_rad: ArrayLike = 0.0,
    loss_only_um: ArrayLike = 0.0,
    wl0_um: float = _DEFAULT["wl0_um"],
    neff: float = _DEFAULT["neff"],
    ng: float = _DEFAULT["ng"],
    dispersion_s_m2: float = _DEFAULT["dispersion_s_m2"],
) -> jnp.ndarray:
    """Complex field transmission of a waveguide, ``exp(iβL + iφ_extra − α(L + L_loss))``.

    Args:
        wl: wavelength(s) in µm.
        length_um: propagating length (phase and loss).
        loss_dB_cm: power loss (dB/cm).
        extra_phase_rad: added phase (thermo-optic, fabrication offset), broadcast with ``wl``.
        loss_only_um: length that adds attenuation but no phase (a length whose phase is already
            in another model's data, e.g. the half circumference of a half-ring coupler).
    """
    xp = _xp(wl, length_um, extra_phase_rad, loss_only_um)
    beta = propagation_constant_per_um(
        xp.asarray(wl), wl0_um=wl0_um, neff=neff, ng=ng, dispersion_s_m2=dispersion_s_m2
    )
    alpha_per_um = loss_dB_cm * 1e-4 / (20 * _LOG10_E)  # amplitude attenuation (1/µm)
    length = xp.asarray(length_um)
    return xp.exp(1j * (beta * length + extra_phase_rad) - alpha_per_um * (length + loss_only_um))


def waveguide(
    *,
    wl: ArrayLike = 1.55,
    length_um: ArrayLike = 0.0,
    loss_dB_cm: float = 0.0,
    extra_phase_rad: ArrayLike = 0.0,
    loss_only_um: ArrayLike = 0.0,
    wl0_um: float = _DEFAULT["wl0_um"],
    neff: float = _DEFAULT["neff"],
    ng: float = _DEFAULT["ng"],
    dispersion_s_m2: float = _DEFAULT["dispersion_s_m2"],
) -> dict[tuple[str, str], jnp.ndarray]:
    """SAX model of a straight (or heated) waveguide, ports ``o0``/``o1`` (reciprocal, no reflection).

    See :func:`waveguide_transmission` for the parameters; the defaults are the 500 × 220 nm strip.
    A heated waveguide is this model with ``extra_phase_rad = 2π Δn_eff L_heated / λ``.
    """
    t = waveguide_transmission(
        jnp.asarray(wl),
        length_um=length_um,
        loss_dB_cm=loss_dB_cm,
        extra_phase_rad=extra_phase_rad,
        loss_only_um=loss_only_um,
        wl0_um=wl0_um,
        neff=neff,
        ng=ng,
        dispersion_s_m2=dispersion_s_m2,
    )
    zero = jnp.zeros_like(t)
    return {("o0", "o1"): t, ("o1", "o0"): t, ("o0", "o0"): zero, ("o1", "o1"): zero}


# --------------------------------------------------------------------------------------------
# Half-ring couplers
# --------------------------------------------------------------------------------------------


def half_ring_bus_length_um(radius_um: float, width_nm: float, coupling_length_um: float = 0.0):
    """Bus length inside simphony's half-ring data: the SiEPIC cell's pins sit at
    ``x = ±(R + 1.5 w + Lc/2)``, so the bus is ``2R + 3w + Lc`` long (µm)."""
    return 2 * radius_um + 3 * width_nm * 1e-3 + coupling_length_um


def check_wavelengths(wl_um: ArrayLike) -> np.ndarray:
    """Return ``wl_um`` as a 1-D float array after checking it lies in the half-ring data range.

    Raises:
        ConfigError: empty, not finite, not increasing, or outside 1500–1600 nm.
    """
    wl = np.atleast_1d(np.asarray(wl_um, dtype=float))
    lo, hi = COUPLER_DATA_WL_NM
    if wl.ndim != 1 or wl.size == 0 or not np.all(np.isfinite(wl)):
        raise ConfigError("wavelength grid must be a non-empty 1-D array of finite values (µm)")
    if wl.size > 1 and np.any(np.diff(wl) <= 0):
        raise ConfigError(
            f"wavelength grid must be strictly increasing (got {wl[0] * 1e3:g} … "
            f"{wl[-1] * 1e3:g} nm): is the range inverted?"
        )
    if wl.min() * 1e3 < lo - 1e-9 or wl.max() * 1e3 > hi + 1e-9:
        raise ConfigError(
            f"wavelengths {wl.min() * 1e3:g}–{wl.max() * 1e3:g} nm are outside simphony's "
            f"half-ring data ({lo:g}–{hi:g} nm)"
        )
    return wl


def sdict_from_matrix(
    s: ArrayLike, ports: tuple[str, ...] = HALF_RING_PORTS
) -> dict[tuple[str, str], jnp.ndarray]:
    """SAX SDict (key ``(from, to)``) of an RF-convention matrix ``S[..., out, in]``."""
    s = jnp.asarray(s)
    return {
        (p_in, p_out): s[..., i, j] for i, p_out in enumerate(ports) for j, p_in in enumerate(ports)
    }


def ideal_half_ring_matrix(
    wl: ArrayLike,
    *,
    coupling: float = 0.03,
    radius_um: float = 10.0,
    bus_length_um: float | None = None,
    wg: WaveguideCoefficients | None = None,
) -> jnp.ndarray:
    """An ideal (lossless, reflection-free, reciprocal) stand-in for a half-ring, ``(K, 4, 4)``.

    Power coupling ``coupling`` = κ² between bus and ring, through ``t = √(1 − κ²)``, cross
    ``iκ``; the bus carries the phase of ``bus_length_um`` (default ``2R + 1.5 µm``) and the ring
    path that of the half circumference ``πR``, both from the waveguide model, as simphony's data
    do. ``S = P·[[t, iκ], [iκ, t]]·P`` per bus/ring pair with ``P = diag(√p_bus, √p_ring)``.
    """
    coeffs = (wg or waveguide_coefficients()).as_params()
    wl = jnp.atleast_1d(jnp.asarray(wl))
    if bus_length_um is None:
        bus_length_um = 2 * radius_um + 1.5
    beta = propagation_constant_per_um(wl, **coeffs)
    half_bus = jnp.exp(0.5j * beta * bus_length_um)  # √p_bus
    half_ring = jnp.exp(0.5j * beta * jnp.pi * radius_um)  # √p_ring
    t = jnp.sqrt(1.0 - coupling)
    k = jnp.sqrt(coupling)
    amp = jnp.stack([half_bus, half_ring, half_bus, half_ring], axis=-1)  # ports 1..4
    core = jnp.array(
        [[0, 0, t, 1j * k], [0, 0, 1j * k, t], [t, 1j * k, 0, 0], [1j * k, t, 0, 0]],
        dtype=amp.dtype,
    )
    return amp[:, :, None] * core[None] * amp[:, None, :]
