"""The study file: a base config, axes over any ``section.key`` of it, and training seeds.

```toml
base = "my_config.toml"            # optional: a config file (relative to the study file)
seeds = [1, 2]                     # optional: [training] seed values, an axis of their own
[axes]                             # the points are the product of the axes (and seeds)
"model.adc_bits" = [6, 8]                                    # a list of values
"model.laser_power_mW" = { start = 1.0, stop = 10.0, num = 4 }   # num values, stop included
"model.fab_sigma_nm" = { start = 0.1, stop = 1.0, num = 3, scale = "log" }
"model.fab_seed" = { start = 0, stop = 20 }                  # integers start … stop − 1 (step 1)
[draws]                            # optional: n random / Latin-hypercube points, joint draws
method = "lhs"                     # "random" or "lhs"
n = 8
seed = 0
[draws.axes]
"model.rin_dB_Hz" = { low = -160.0, high = -140.0 }          # uniform (scale = "log": log-uniform)
"model.adc_bits" = { low = 4, high = 10, integer = true }    # integers low … high
```

The points are the product of ``[axes]``, the ``n`` draws and ``seeds``. Every point's config is
validated before anything runs; a bad key or value is one line naming the study file and the key.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from photonic_dfa.config import Config, load_config, read_toml
from photonic_dfa.errors import ConfigError

__all__ = ["Point", "Study", "load_study"]

_TOP_KEYS = {"base", "seeds", "axes", "draws"}
_DRAW_KEYS = {"method", "n", "seed", "axes"}
SEED_KEY = "training.seed"


@dataclass(frozen=True)
class Point:
    """One pipeline run of a study: ``values`` maps each axis key (as written) to its value."""

    id: str
    values: dict[str, Any]
    config: Config


@dataclass(frozen=True)
class Study:
    path: Path
    base: Path | None
    axes: tuple[str, ...]  # axis keys in the order of the file ("seed" last, if given)
    points: tuple[Point, ...]


def _err(path: Path, msg: str) -> ConfigError:
    return ConfigError(f"{path}: {msg}")


def check_key(path: Path, where: str, key: str) -> None:
    """``key`` is ``section.key`` of :class:`Config`, else one line with the closest names."""
    section, _, name = key.partition(".")
    sections = Config.model_fields
    if section not in sections or not name:
        raise _err(
            path,
            f"{where}: {key!r} is not a config key (write section.key, sections: "
            f"{', '.join(sections)})",
        )
    model = sections[section].annotation
    fields = model.model_fields  # type: ignore[union-attr]
    if name in getattr(model, "replaced_keys", {}):
        instead = model.replaced_keys[name]  # type: ignore[union-attr]
        raise _err(path, f"{where}: config key {key!r} was replaced: {instead}")
    if name not in fields:
        close = difflib.get_close_matches(name, list(fields), n=1)
        hint = f"; did you mean {section}.{close[0]!r}?" if close else ""
        raise _err(path, f"{where}: unknown config key {key!r} ([{section}] has no {name!r}){hint}")


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _range_values(path: Path, key: str, spec: dict[str, Any]) -> list[Any]:
    """A ``{start, stop, num[, scale]}`` (stop included) or ``{start, stop[, step]}`` range."""
    allowed = {"start", "stop", "num", "step", "scale"}
    if set(spec) - allowed or not {"start", "stop"} <= set(spec) or {"num", "step"} <= set(spec):
        raise _err(
            path,
            f"axes.{key!r} = {spec!r}: a range is {{start, stop, num[, scale]}} or "
            "{start, stop[, step]}",
        )
    start, stop = spec["start"], spec["stop"]
    if "num" in spec:
        num = spec["num"]
        if not _is_int(num) or num < 1:
            raise _err(path, f"axes.{key!r}: num = {num!r}: must be an integer >= 1")
        if spec.get("scale", "linear") == "log":
            if start <= 0 or stop <= 0:
                raise _err(path, f"axes.{key!r}: a log range needs start, stop > 0")
            return [float(v) for v in np.geomspace(start, stop, num)]
        return [float(v) for v in np.linspace(start, stop, num)]
    step = spec.get("step", 1)
    if not step:
        raise _err(path, f"axes.{key!r}: step must not be 0")
    values = np.arange(start, stop, step)
    ints = all(_is_int(v) for v in (start, stop, step))
    return [int(v) if ints else float(v) for v in values]


def _axis_values(path: Path, key: str, spec: Any) -> list[Any]:
    values = _range_values(path, key, spec) if isinstance(spec, dict) else spec
    if not isinstance(values, list):
        raise _err(path, f"axes.{key!r} = {spec!r}: must be a list of values or a range table")
    if not values:
        raise _err(path, f"axes.{key!r} is empty: give at least one value")
    return values


def _draws(path: Path, spec: Any) -> tuple[list[str], list[list[Any]]]:
    """The ``[draws]`` table: ``n`` joint random or Latin-hypercube draws of its axes."""
    if not isinstance(spec, dict) or set(spec) - _DRAW_KEYS:
        raise _err(path, f"[draws] allows the keys {', '.join(sorted(_DRAW_KEYS))}")
    method, n, seed = spec.get("method", "random"), spec.get("n", 0), spec.get("seed", 0)
    axes = spec.get("axes") or {}
    if method not in ("random", "lhs"):
        raise _err(path, f"draws.method = {method!r}: must be 'random' or 'lhs'")
    if not (_is_int(n) and _is_int(seed)) or int(n) < 1 or int(seed) < 0:
        raise _err(path, "draws.n must be an integer >= 1 and draws.seed an integer >= 0")
    if not axes:
        raise _err(path, "[draws.axes] is empty: give at least one axis")
    n = int(n)
    rng = np.random.default_rng(int(seed))
    u = rng.random((n, len(axes)))
    if method == "lhs":  # one draw in each of n equal strata per axis, strata shuffled per axis
        u = (np.argsort(rng.random((n, len(axes))), axis=0) + u) / n
    cols = [_scale_draw(path, key, s, u[:, j]) for j, (key, s) in enumerate(axes.items())]
    return list(axes), [list(row) for row in zip(*cols)]


def _scale_draw(path: Path, key: str, spec: Any, u: np.ndarray) -> list[Any]:
    if (
        not isinstance(spec, dict)
        or set(spec) - {"low", "high", "scale", "integer"}
        or not {
            "low",
            "high",
        }
        <= set(spec)
    ):
        raise _err(path, f"draws.axes.{key!r}: write {{low, high[, scale, integer]}}")
    low, high = spec["low"], spec["high"]
    if not high > low:
        raise _err(path, f"draws.axes.{key!r}: high must be > low")
    if spec.get("integer"):
        return [int(v) for v in np.floor(low + u * (high - low + 1)).clip(low, high)]
    if spec.get("scale") == "log":
        if low <= 0:
            raise _err(path, f"draws.axes.{key!r}: a log draw needs low > 0")
        return [float(v) for v in np.exp(np.log(low) + u * np.log(high / low))]
    return [float(v) for v in low + u * (high - low)]


def point_id(values: dict[str, Any]) -> str:
    """A stable id of a point's axis values (12 hex digits of their sha256)."""
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:12]


def _point_config(path: Path, base: Path | None, values: dict[str, Any]) -> Config:
    overrides: dict[str, Any] = {}
    for key, value in values.items():
        section, _, name = (SEED_KEY if key == "seed" else key).partition(".")
        overrides.setdefault(section, {})[name] = value
    try:
        return load_config(base, **overrides)
    except ConfigError as exc:
        where = ", ".join(f"{k} = {v!r}" for k, v in values.items())
        raise _err(path, f"point ({where}): {exc}") from None


def load_study(path: str | os.PathLike[str]) -> Study:
    """Read and check a study file; every point's config is validated.

    Raises:
        ConfigError: one line naming the study file and the key (unknown key, empty axis, a
            value out of range, an invalid base config).
    """
    path = Path(path)
    data = read_toml(path, "study file")
    if unknown := set(data) - _TOP_KEYS:
        raise _err(path, f"unknown key(s) {sorted(unknown)} (allowed: {sorted(_TOP_KEYS)})")
    base = _base(path, data.get("base"))
    axes = {k: _axis_values(path, k, v) for k, v in (data.get("axes") or {}).items()}
    draw_keys, draw_rows = _draws(path, data["draws"]) if "draws" in data else ([], [[]])
    for key in [*axes, *draw_keys]:
        check_key(path, "axes", key)
    if SEED_KEY in axes and "seeds" in data:
        raise _err(path, f"give the seeds either as 'seeds' or as the axis {SEED_KEY!r}")
    if "seeds" in data:
        axes["seed"] = _axis_values(path, "seeds", data["seeds"])
    keys = [*axes, *draw_keys]
    if len(set(keys)) != len(keys):
        raise _err(path, "an axis appears both in [axes] and in [draws.axes]")
    points, seen = [], set()
    for combo in itertools.product(*axes.values()):
        for row in draw_rows:
            values = dict(zip([*axes, *draw_keys], [*combo, *row]))
            pid = point_id(values)
            if pid not in seen:
                seen.add(pid)
                points.append(Point(pid, values, _point_config(path, base, values)))
    ordered = tuple(k for k in keys if k != "seed") + (("seed",) if "seed" in axes else ())
    return Study(path, base, ordered, tuple(points))


def _base(path: Path, base: Any) -> Path | None:
    if base is None:
        return None
    if not isinstance(base, str):
        raise _err(path, f"base = {base!r}: must be the path of a config file")
    resolved = (path.parent / base) if not Path(base).is_absolute() else Path(base)
    try:
        load_config(resolved)
    except ConfigError as exc:
        raise _err(path, f"base config: {exc}") from None
    return resolved
