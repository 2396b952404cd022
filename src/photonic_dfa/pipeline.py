"""``photonic-dfa run``: the whole pipeline, layout → sweep → extract → train → report.

This module only orders, caches and calls the stages; each stage's work and its summary for the
report live in the stage's package (``<stage>/summary.py``, ``training/stage.py``).

Each stage writes into ``OUTDIR/.partial/<stage>``; when it is complete, that folder replaces
``OUTDIR/<stage>`` (a rename) with its manifest ``stage.json``: a key (sha256 of the stage's settings
and of its input files) and the sha256 of every output. A stage is re-used when its manifest's key
matches and its outputs are intact, and re-run otherwise. So:

* running twice re-uses every stage;
* changing a ``[training]`` or ``[run]`` setting re-runs training and the report; the model stage
  also re-runs when ``[training] hidden`` changes (it calibrates B for those layer sizes);
* a stage's earlier outputs stay in place until its replacement is complete, and the report is
  rewritten only when every stage is: an interrupted training leaves the earlier training results
  and the report as they were (stages that completed before the interruption are replaced);
* an interrupted training run (Ctrl-C, a kill, a full disk) continues from its last complete epoch
  on the next run with the same settings; the other stages start again;
* ``force`` re-runs every stage from scratch, discarding unfinished work (e.g. a corrupt
  checkpoint);
* ``OUTDIR/.lock`` names the process using the directory: a second run refuses with one line
  naming its PID; the lock of a process that no longer exists is taken over;
* with ``shared_cache`` (``photonic-dfa study``), a stage of :data:`SHAREABLE` not cached in
  OUTDIR is looked up in ``shared_cache/<key>/<stage>`` (hard-linked in), and a stage that ran is
  published there: copied into a temporary folder, then renamed onto ``<key>`` (the first writer
  wins). A per-key lock (``flock`` of ``shared_cache/<key>.lock``, released by the kernel when its
  process dies) makes concurrent runs of the same stage wait for one computation.

Stage code is imported only when a stage runs, so a fully cached run costs little more than hashing.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from photonic_dfa import __version__
from photonic_dfa.config import Config, load_config
from photonic_dfa.errors import PhotonicDFAError
from photonic_dfa.io import (
    atomic_write_json,
    directory_lock,
    ensure_writable_dir,
    remove_tree,
    sha256_file,
)

__all__ = ["SHAREABLE", "STAGES", "PipelineResult", "StageOutcome", "run_pipeline"]

MANIFEST = "stage.json"
PARTIAL = ".partial"
#: stages whose results ``shared_cache`` shares between run directories (training is per point)
SHAREABLE = ("layout", "circuits", "model")

#: ``progress(stage, event)``: ``event`` None when the stage starts, else a training ProgressEvent
#: (the stage's name is then ``train/<mode>``)
Progress = Callable[[str, Any], None]
Log = Callable[[str], None]


@dataclass(frozen=True)
class StageContext:
    """What a stage receives besides its config, work folder and inputs."""

    log: Log
    progress: Progress | None = None
    resume_hint: str = "run_pipeline() again with the same arguments"


StageRun = Callable[[Config, Path, dict[str, Path], StageContext], tuple[dict, dict]]


@dataclass(frozen=True)
class StageOutcome:
    """One stage of a pipeline run."""

    name: str
    status: str  # "ran", "cached" or "shared" (installed from the shared cache)
    seconds: float
    outputs: dict[str, str]  # name -> path (relative to OUTDIR)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PipelineResult:
    outdir: Path
    stages: tuple[StageOutcome, ...]
    report_md: Path
    report_html: Path

    def stage(self, name: str) -> StageOutcome:
        return next(s for s in self.stages if s.name == name)


@dataclass(frozen=True)
class Stage:
    """A pipeline stage: ``run(cfg, workdir, inputs, context) -> (outputs, summary)``.

    ``keep_partial``: an interrupted run's work folder is continued (training), not restarted.
    """

    name: str
    sections: tuple[str, ...]  # config sections that determine its result
    inputs: tuple[str, ...]  # outputs of earlier stages it reads, as "stage:name"
    run: StageRun
    enabled: Callable[[Config], bool] = lambda cfg: True
    extra_key: Callable[[Config], dict[str, Any]] = lambda cfg: {}
    keep_partial: bool = False


# ---------------------------------------------------------------------------------------------
# The stages: each calls its package and that package's summary


def _run_layout(cfg: Config, workdir: Path, inputs: dict, ctx: StageContext) -> tuple:
    from photonic_dfa.layout.summary import layout_log_line, summarise_layout
    from photonic_dfa.layout.writer import write_layout

    result = write_layout(cfg.layout, workdir)
    ctx.log(layout_log_line(result))
    outputs = {
        "layout.json": result.json_path,
        "weight_bank.gds": result.gds_path,
        "weight_bank.png": result.png_path,
        "bank.png": result.bank_png_path,
    }
    return outputs, summarise_layout(result, cfg.layout)


def _run_circuits(cfg: Config, workdir: Path, inputs: dict, ctx: StageContext) -> tuple:
    from photonic_dfa.circuits.run import run_sweep
    from photonic_dfa.circuits.summary import ring_log_lines, summarise_circuits

    ctx.log("spectra of every bank with the heaters biased onto the channel grid")
    result = run_sweep(inputs["layout:layout.json"], cfg.circuit, workdir, kind="spectrum")
    for line in ring_log_lines(result):
        ctx.log(line)
    outputs = {name: Path(path) for name, path in result.files.items()}
    return outputs, summarise_circuits(result, cfg.circuit, list(outputs))


def _coupler_file_hashes(cfg: Config) -> dict[str, str | None]:
    """sha256 of the Touchstone coupler files the ``[circuit]`` section names (their content is
    part of the circuit stage's key)."""
    from photonic_dfa.io import sha256_file

    files = {k: getattr(cfg.circuit, k) for k in ("coupler_in_s4p", "coupler_drop_s4p")}
    return {k: sha256_file(p) if p and Path(p).is_file() else p for k, p in files.items()}


def _extract(cfg: Config, workdir: Path, inputs: dict[str, Path], log: Log) -> Any:
    """The one call of the model stage into ``network_model`` (its inputs: see ``STAGES``)."""
    from photonic_dfa.network_model.run import extract

    return extract(
        inputs["circuits:bank_circuits.npz"],
        cfg.training.hidden,
        config=cfg,
        outdir=workdir,
        progress=log,
        layout=inputs.get("layout:layout.json"),
    )


def _run_model(cfg: Config, workdir: Path, inputs: dict, ctx: StageContext) -> tuple:
    from photonic_dfa.network_model.summary import model_log_line, summarise_model

    result = _extract(cfg, workdir, inputs, ctx.log)
    outputs = {"photonic_model.npz": result.model_path}
    sidecar = result.model_path.with_suffix(".json")
    if sidecar.is_file():
        outputs["photonic_model.json"] = sidecar
    for plot in result.plots:
        outputs[Path(plot).name] = Path(plot)
    ctx.log(model_log_line(result.report))
    return outputs, summarise_model(result.report, cfg.training.hidden, list(outputs))


def _run_train(cfg: Config, workdir: Path, inputs: dict, ctx: StageContext) -> tuple:
    import jax

    from photonic_dfa.training.stage import run_training_stage

    progress = ctx.progress

    # importing sax (circuit stages, same process) switches JAX to float64 globally; training is
    # specified in float32, as it runs on its own in `photonic-dfa train`
    with jax.enable_x64(False):
        return run_training_stage(
            cfg,
            workdir,
            inputs.get("model:photonic_model.npz"),
            ctx.log,
            None if progress is None else (lambda mode, ev: progress(f"train/{mode}", ev)),
            resume_hint=ctx.resume_hint,
        )


STAGES: tuple[Stage, ...] = (
    Stage("layout", ("layout",), (), _run_layout),
    Stage(
        "circuits",
        ("circuit",),
        ("layout:layout.json",),
        _run_circuits,
        extra_key=lambda cfg: {"coupler_files": _coupler_file_hashes(cfg)},
    ),
    Stage(
        "model",
        ("model",),
        ("circuits:bank_circuits.npz", "layout:layout.json"),
        _run_model,
        extra_key=lambda cfg: {"hidden": list(cfg.training.hidden)},
        enabled=lambda cfg: cfg.run.photonic,
    ),
    Stage(
        "train", ("training", "run"), ("model:photonic_model.npz",), _run_train, keep_partial=True
    ),
)


# ---------------------------------------------------------------------------------------------
# Caching


def _hash_json(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _stage_key(stage: Stage, cfg: Config, input_hashes: dict[str, str]) -> str:
    sections = {name: getattr(cfg, name).model_dump(mode="json") for name in stage.sections}
    # where MNIST comes from can change outside the config
    env = (
        {"PHOTONIC_DFA_DATA": os.environ.get("PHOTONIC_DFA_DATA")} if stage.name == "train" else {}
    )
    return _hash_json(
        {
            "stage": stage.name,
            "version": __version__,
            "config": sections,
            "inputs": input_hashes,
            "env": env,
            "extra": stage.extra_key(cfg),
        }
    )


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _intact(outdir: Path, manifest: dict[str, Any]) -> bool:
    """Every output recorded in the manifest exists with the recorded sha256."""
    try:
        for entry in manifest.get("outputs", {}).values():
            path = outdir / entry["path"]
            if not path.is_file() or sha256_file(path) != entry["sha256"]:
                return False
    except (KeyError, TypeError, AttributeError):
        return False
    return True


def _cached(outdir: Path, stage: Stage, key: str, force: bool) -> dict[str, Any] | None:
    manifest = _read_manifest(outdir / stage.name / MANIFEST)
    if force or manifest is None or manifest.get("key") != key or not _intact(outdir, manifest):
        return None
    return manifest


# ---------------------------------------------------------------------------------------------
# Running one stage into its work folder, then replacing the old one


def _remove(path: Path) -> None:
    remove_tree(path, advice="remove it yourself or choose another output directory")


def _relocate(outputs: dict[str, Path], workdir: Path, final: Path) -> dict[str, Path]:
    return {n: final / Path(p).resolve().relative_to(workdir.resolve()) for n, p in outputs.items()}


def _install(workdir: Path, final: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest into ``workdir`` and swap it in for ``final`` (old copy removed last)."""
    atomic_write_json(workdir / MANIFEST, manifest)
    old = final.with_name(f".{final.name}.old")
    _remove(old)
    if final.exists():
        os.replace(final, old)
    os.replace(workdir, final)
    _remove(old)


def _disk_error(stage: str, exc: OSError) -> PhotonicDFAError:
    what = exc.strerror or str(exc)
    where = f" writing {exc.filename!s}" if exc.filename else ""
    hint = "; free some space and run again (finished stages are re-used)"
    return PhotonicDFAError(
        f"stage {stage}: {what}{where}" + (hint if exc.errno == errno.ENOSPC else "")
    )


def _run_stage(
    stage: Stage, cfg: Config, outdir: Path, inputs: dict[str, Path], key: str, log: Log, **kw: Any
) -> tuple[dict[str, Path], dict[str, Any]]:
    workdir = outdir / PARTIAL / stage.name
    if kw["force"] or not stage.keep_partial:
        _remove(workdir)
    ensure_writable_dir(workdir)
    start = time.perf_counter()
    ctx = StageContext(lambda msg: log(f"[{stage.name}] {msg}"), kw["progress"], kw["resume_hint"])
    try:
        outputs, summary = stage.run(cfg, workdir, inputs, ctx)
        final = outdir / stage.name
        outputs = _relocate(outputs, workdir, final)
        manifest = _manifest(stage, cfg, key, inputs, outputs, workdir, final, summary)
        manifest["seconds"] = round(time.perf_counter() - start, 3)
        _install(workdir, final, manifest)
    except OSError as exc:
        raise _disk_error(stage.name, exc) from None
    return outputs, summary


def _manifest(
    stage: Stage,
    cfg: Config,
    key: str,
    inputs: dict[str, Path],
    outputs: dict[str, Path],
    workdir: Path,
    final: Path,
    summary: dict[str, Any],
) -> dict[str, Any]:
    outdir = final.parent
    return {
        "stage": stage.name,
        "key": key,
        "version": __version__,
        "inputs": {ref: sha256_file(path) for ref, path in inputs.items()},
        "config": {n: getattr(cfg, n).model_dump(mode="json") for n in stage.sections},
        "outputs": {
            name: {
                "path": str(p.relative_to(outdir)),
                "sha256": sha256_file(workdir / p.relative_to(final)),
            }
            for name, p in outputs.items()
        },
        "summary": summary,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


# ---------------------------------------------------------------------------------------------
# The pipeline


def run_pipeline(
    config: str | os.PathLike[str] | Config | None,
    outdir: str | os.PathLike[str],
    *,
    log: Log = print,
    force: bool = False,
    progress: Progress | None = None,
    resume_hint: str = "run_pipeline() again with the same arguments",
    shared_cache: str | os.PathLike[str] | None = None,
    report: bool = True,
    stop_after: str | None = None,
) -> PipelineResult:
    """Run every stage whose inputs or settings changed; return what each stage did.

    Args:
        config: a TOML path, a :class:`Config`, or None for the defaults.
        outdir: the run directory (created if needed; locked while the pipeline runs).
        log: receives one line per event (stage start, skip, summary).
        force: re-run every stage from scratch, even if cached.
        progress: receives ``(stage, None)`` as each stage starts and ``("train/<mode>", event)``
            for training's :class:`~photonic_dfa.training.run.ProgressEvent` s.
        resume_hint: how to resume, printed when a second Ctrl-C aborts training.
        shared_cache: a folder of stage results shared by several run directories (see the
            module's docstring); None: none.
        report: write ``report.md`` / ``report.html`` (False: the returned paths may not exist).
        stop_after: the name of the last stage to run (None: every stage).

    Raises:
        LockedError: another live process is running in ``outdir``.
        PhotonicDFAError: one line for bad input, and for a full disk or another OS error,
            naming the stage.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    out = ensure_writable_dir(outdir).resolve()
    shared = None if shared_cache is None else ensure_writable_dir(shared_cache).resolve()
    with directory_lock(out):
        outcomes = _run_stages(cfg, out, log, force, progress, resume_hint, shared, stop_after)
        if report:
            report_md, report_html = _report(out, outcomes, force, log)
        else:
            report_md, report_html = out / "report.md", out / "report.html"
    return PipelineResult(out, tuple(outcomes), report_md, report_html)


def _run_stages(
    cfg: Config,
    out: Path,
    log: Log,
    force: bool,
    progress: Progress | None,
    resume_hint: str,
    shared: Path | None = None,
    stop_after: str | None = None,
) -> list[StageOutcome]:
    produced: dict[str, Path] = {}
    outcomes = []
    for stage in (s for s in STAGES if s.enabled(cfg)):
        inputs = {ref: produced[ref] for ref in stage.inputs if ref in produced}
        key = _stage_key(stage, cfg, {ref: sha256_file(p) for ref, p in inputs.items()})
        start = time.perf_counter()
        if progress is not None:
            progress(stage.name, None)
        kw = {"force": force, "progress": progress, "resume_hint": resume_hint}
        share = shared if shared is not None and stage.name in SHAREABLE else None
        with _key_lock(share, key):
            status, outputs, summary = _cached_or_run(stage, cfg, out, inputs, key, log, share, kw)
        if status == "ran":
            log(f"[{stage.name}] done in {time.perf_counter() - start:.1f} s")
        produced.update({f"{stage.name}:{name}": Path(p) for name, p in outputs.items()})
        outcomes.append(
            StageOutcome(
                name=stage.name,
                status=status,
                seconds=time.perf_counter() - start,
                outputs={n: str(Path(p).relative_to(out)) for n, p in outputs.items()},
                summary=summary,
            )
        )
        if stage.name == stop_after:
            break
    return outcomes


def _cached_or_run(
    stage: Stage,
    cfg: Config,
    out: Path,
    inputs: dict[str, Path],
    key: str,
    log: Log,
    shared: Path | None,
    kw: dict[str, Any],
) -> tuple[str, dict[str, Path], dict[str, Any]]:
    """``(status, outputs, summary)``: the stage re-used from ``out``, or from ``shared``
    (status ``shared``), or run (and published into ``shared``)."""
    manifest = _cached(out, stage, key, kw["force"])
    if manifest is None and shared is not None and _import_shared(shared, stage, key, out):
        manifest = _cached(out, stage, key, False)
        if manifest is not None:
            log(f"[{stage.name}] re-used from the shared cache ({key[:12]}…)")
            outputs = {name: out / e["path"] for name, e in manifest["outputs"].items()}
            return "shared", outputs, manifest.get("summary", {})
    if manifest is not None:
        outputs = {name: out / e["path"] for name, e in manifest["outputs"].items()}
        log(f"[{stage.name}] up to date, re-used ({stage.name}/{MANIFEST})")
        return "cached", outputs, manifest.get("summary", {})
    log(f"[{stage.name}] running…")
    outputs, summary = _run_stage(stage, cfg, out, inputs, key, log, **kw)
    if shared is not None:
        _publish_shared(shared, stage, key, out)
    return "ran", outputs, summary


# ---------------------------------------------------------------------------------------------
# The shared stage cache of several run directories (``photonic-dfa study``)


@contextlib.contextmanager
def _key_lock(shared: Path | None, key: str) -> Iterator[None]:
    """Hold an exclusive ``flock`` of ``shared/<key>.lock`` (nothing without ``shared``)."""
    if shared is None:
        yield
        return
    import fcntl

    with open(shared / f"{key}.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _link_tree(src: Path, dst: Path) -> None:
    """Copy the tree ``src`` to ``dst`` as hard links (copies where links are not possible); every
    writer of this package replaces files by rename, so a linked file is never changed in place."""
    import shutil

    def link(a: str, b: str) -> None:
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    shutil.copytree(src, dst, copy_function=link)


def _import_shared(shared: Path, stage: Stage, key: str, out: Path) -> bool:
    """Install ``shared/<key>/<stage>`` as ``out/<stage>`` if it is there and intact."""
    src = shared / key
    manifest = _read_manifest(src / stage.name / MANIFEST)
    if manifest is None or manifest.get("key") != key or not _intact(src, manifest):
        return False
    workdir = out / PARTIAL / stage.name
    _remove(workdir)
    workdir.parent.mkdir(parents=True, exist_ok=True)
    _link_tree(src / stage.name, workdir)
    _install(workdir, out / stage.name, manifest)
    return True


def _publish_shared(shared: Path, stage: Stage, key: str, out: Path) -> None:
    """Copy ``out/<stage>`` into ``shared/<key>/<stage>`` (temporary folder + rename; if another
    run published the key first, its copy is kept)."""
    import tempfile

    if (shared / key).exists():
        return
    tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}.", dir=shared))
    try:
        _link_tree(out / stage.name, tmp / stage.name)
        os.rename(tmp, shared / key)
    except OSError:  # published meanwhile (rename onto a non-empty folder fails), or no space
        _remove(tmp)


def _report(out: Path, outcomes: list[StageOutcome], force: bool, log: Log) -> tuple[Path, Path]:
    report_md, report_html = out / "report.md", out / "report.html"
    ran = any(o.status != "cached" for o in outcomes)
    if force or ran or not (report_md.is_file() and report_html.is_file()):
        from photonic_dfa.report import write_report

        try:
            write_report(out, stages=[o.name for o in outcomes])
        except OSError as exc:
            raise _disk_error("report", exc) from None
        log(f"[report] wrote {report_md.name} and {report_html.name}")
    else:
        log("[report] up to date")
    return report_md, report_html
