"""Touchstone v1 (``.s4p``) export and import of a bank's S-parameters.

Format (Touchstone File Format Specification 1.1): comment lines start with ``!``; the option
line ``# HZ S RI R 50`` gives frequency in Hz, S-parameters, real/imaginary pairs and a 50 Ω
reference (meaningless for optics but required by RF tools). For a 4-port, each frequency point
is one row per matrix row, ``S_i1 S_i2 S_i3 S_i4`` (``S_ij``: out of port i for a wave into port
j), the first row preceded by the frequency. Frequencies are strictly increasing, so the
wavelength grid is written in reverse order. Port numbering is stated in the comment lines:
1 = in, 2 = through, 3 = add, 4 = drop.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from photonic_dfa.circuits.models import SPEED_OF_LIGHT_M_PER_S
from photonic_dfa.errors import ArtifactError
from photonic_dfa.io import atomic_write_text

__all__ = ["read_touchstone", "write_touchstone"]


def write_touchstone(
    path: str | os.PathLike[str],
    wl_um: ArrayLike,
    s: ArrayLike,
    *,
    port_names: tuple[str, ...] = ("in", "through", "add", "drop"),
    comments: tuple[str, ...] = (),
) -> Path:
    """Write ``S (K, n, n)`` on the wavelength grid ``wl_um (K,)`` as a Touchstone v1 file.

    Args:
        path: output file (``.s{n}p``), written atomically.
        wl_um: increasing (or decreasing) wavelengths (µm).
        s: S-matrices, ``S[k, out, in]``.
        port_names: name of port 1..n, written as comments.
        comments: extra comment lines (without the ``!``).
    """
    wl = np.asarray(wl_um, dtype=float).reshape(-1)
    s = np.asarray(s)
    k, n, m = s.shape
    if n != m or k != wl.size or len(port_names) != n:
        raise ValueError(f"S must be (K, n, n) with K = {wl.size} and n = {len(port_names)}")
    freq = SPEED_OF_LIGHT_M_PER_S / (wl * 1e-6)
    order = np.argsort(freq)
    lines = [
        "! Touchstone v1 file written by photonic_dfa (S-parameters of one weight-bank bus)",
        *(f"! Port {i + 1}: {name}" for i, name in enumerate(port_names)),
        "! S_ij = wave out of port i / wave into port j; frequency f = c / wavelength",
        f"! wavelength range {wl.min() * 1e3:.6f}-{wl.max() * 1e3:.6f} nm, {wl.size} points",
        *(f"! {c}" for c in comments),
        "# HZ S RI R 50",
    ]
    for idx in order:
        for i in range(n):
            vals = " ".join(f"{v.real: .16e} {v.imag: .16e}" for v in s[idx, i])
            lead = f"{freq[idx]:.16e}" if i == 0 else " " * 23
            lines.append(f"{lead} {vals}")
    return atomic_write_text(path, "\n".join(lines) + "\n")


def read_touchstone(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read a Touchstone v1 file written as by :func:`write_touchstone` (``HZ``/``GHZ``… units,
    ``RI``/``MA``/``DB`` formats).

    Returns:
        ``freq_hz (K,)`` increasing, ``S (K, n, n)`` complex, and the comment lines.

    Raises:
        ArtifactError: missing file, unknown extension or malformed data.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not (suffix.startswith(".s") and suffix.endswith("p") and suffix[2:-1].isdigit()):
        raise ArtifactError(f"{path}: not a Touchstone file name (.s<n>p)")
    n = int(suffix[2:-1])
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ArtifactError(f"Touchstone file {str(path)!r} does not exist") from None
    comments: list[str] = []
    numbers: list[float] = []
    unit, fmt = 1e9, "MA"  # Touchstone defaults: GHz, magnitude-angle
    for raw in text.splitlines():
        line, _, comment = raw.partition("!")
        if comment and not line.strip():
            comments.append(comment.strip())
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            tokens = line[1:].upper().split()
            units = {"HZ": 1.0, "KHZ": 1e3, "MHZ": 1e6, "GHZ": 1e9}
            for tok in tokens:
                if tok in units:
                    unit = units[tok]
                elif tok in ("RI", "MA", "DB"):
                    fmt = tok
            continue
        try:
            numbers.extend(float(x) for x in line.split())
        except ValueError:
            raise ArtifactError(f"{path}: malformed data line {raw!r}") from None
    per_point = 1 + 2 * n * n
    if not numbers or len(numbers) % per_point:
        raise ArtifactError(f"{path}: {len(numbers)} numbers is not a multiple of {per_point}")
    data = np.asarray(numbers).reshape(-1, per_point)
    freq = data[:, 0] * unit
    a, b = data[:, 1::2], data[:, 2::2]
    if fmt == "RI":
        vals = a + 1j * b
    elif fmt == "MA":
        vals = a * np.exp(1j * np.deg2rad(b))
    else:  # DB
        vals = 10 ** (a / 20) * np.exp(1j * np.deg2rad(b))
    return freq, vals.reshape(-1, n, n), comments
