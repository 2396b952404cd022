"""What a stage tells the run report: a JSON-able summary with labelled, rounded values.

A stage's summary (built by ``<stage>/summary.py`` from that stage's result) is a dict::

    {"quantities": [[label, text], ...],          # "ring radius (µm)", "5"
     "tables": [{"title": ..., "columns": [...], "rows": [[text, ...], ...]}],
     "figures": [output name of a PNG, ...],
     "notes": [one paragraph each, ...],
     "resume": how an interrupted run of the stage continues}

Values are formatted by the stage (which knows their precision), so the report only lays them
out; the pipeline stores the summary in the stage's manifest.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["fmt", "quantity", "summary", "table"]


def fmt(value: Any, digits: int = 3) -> str:
    """A number rounded to ``digits`` significant digits (integers exactly; below 1e-3 or from 1e6
    in scientific notation); ``None`` or NaN as ``–``; booleans as yes/no; lists joined by ``, ``.

    >>> fmt(16409.78), fmt(21.83), fmt(22.0), fmt(0.04812), fmt(1.2e-7), fmt(800), fmt(None)
    ('16400', '21.8', '22.0', '0.0481', '1.20e-07', '800', '–')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value == 0 or math.isinf(value):
            return f"{value:g}"
        if abs(value) >= 1e6 or abs(value) < 1e-3:
            return f"{value:.{digits - 1}e}"
        rounded = float(f"{value:.{digits}g}")
        decimals = max(digits - 1 - math.floor(math.log10(abs(rounded))), 0)
        return f"{rounded:.{decimals}f}"
    if isinstance(value, list | tuple):
        return ", ".join(fmt(v, digits) for v in value)
    return str(value)


def quantity(label: str, value: Any, unit: str = "", digits: int = 3) -> list[str]:
    """``[label (unit), formatted value]``: one row of a stage's table of quantities."""
    return [f"{label} ({unit})" if unit else label, fmt(value, digits)]


def table(title: str, columns: list[str], rows: list[list[Any]], digits: int = 3) -> dict[str, Any]:
    """A titled table with every cell formatted by :func:`fmt` (header count = row length)."""
    cells = [[fmt(c, digits) for c in row] for row in rows]
    bad = [r for r in cells if len(r) != len(columns)]
    if bad:
        raise ValueError(
            f"table {title!r}: a row has {len(bad[0])} cells for {len(columns)} columns"
        )
    return {"title": title, "columns": list(columns), "rows": cells}


def summary(
    quantities: list[list[str]],
    *,
    tables: list[dict[str, Any]] | None = None,
    figures: list[str] | None = None,
    notes: list[str] | None = None,
    resume: str = "an interrupted run of this stage starts it again",
    **extra: Any,
) -> dict[str, Any]:
    """Assemble a stage summary (see the module docstring); ``extra`` keys are kept for callers
    (e.g. the number of banks, machine-readable)."""
    return {
        "quantities": quantities,
        "tables": tables or [],
        "figures": figures or [],
        "notes": notes or [],
        "resume": resume,
        **extra,
    }
