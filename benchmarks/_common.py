"""Shared helpers of the benchmark scripts: machine description and the results file."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }
    try:
        import jax

        info["jax"] = jax.__version__
        info["jax_devices"] = [str(d) for d in jax.devices()]
    except Exception:  # jax missing or no backend: not an error for a description
        pass
    return info


def write_results(name: str, figures: list[dict[str, Any]], **extra: Any) -> Path:
    """Write ``benchmarks/results_<name>.json``: figures as {name, value, unit, target?}."""
    path = HERE / f"results_{name}.json"
    payload = {
        "benchmark": name,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine(),
        "figures": figures,
        **extra,
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n")
    tmp.replace(path)
    return path


def figure(name: str, value: float, unit: str, target: str | None = None, **extra: Any) -> dict:
    row = {"name": name, "value": value, "unit": unit}
    if target is not None:
        row["target"] = target
    row.update(extra)
    return row
