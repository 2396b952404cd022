"""Studies: sweeps of pipeline runs over config axes, run as Dask tasks (``photonic-dfa study``).

Importing this package imports neither Dask nor JAX; :func:`run_study` imports Dask.
"""

from __future__ import annotations

from photonic_dfa.study.runner import StudyRun, run_sequential, run_study
from photonic_dfa.study.spec import Point, Study, load_study

__all__ = ["Point", "Study", "StudyRun", "load_study", "run_sequential", "run_study"]
