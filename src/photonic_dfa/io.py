"""Small file helpers shared by all stages: atomic writes, hashes, JSON with numpy values."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "directory_lock",
    "ensure_writable_dir",
    "read_npz",
    "read_versioned_npz",
    "remove_tree",
    "sha256_file",
    "to_jsonable",
    "write_versioned_npz",
]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``.

    On any exception the temporary file is removed and ``path`` is left as it was, so a reader never
    sees a half-written file.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp creates 0600; give the file normal permissions
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + rename)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, tuples and paths recursively into JSON-serialisable values."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def atomic_write_json(path: str | os.PathLike[str], obj: Any, *, indent: int = 2) -> Path:
    """Serialise ``obj`` (numpy values allowed) to JSON and write it atomically."""
    return atomic_write_text(path, json.dumps(to_jsonable(obj), indent=indent) + "\n")


def sha256_file(path: str | os.PathLike[str], *, chunk_bytes: int = 1 << 20) -> str:
    """Hex sha256 of a file's contents."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_writable_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and parents) if needed and check that files can be written there.

    Raises:
        PhotonicDFAError: one line naming the directory and the reason.
    """
    from photonic_dfa.errors import PhotonicDFAError

    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise PhotonicDFAError(
            f"output directory {str(path)!r} is not writable: {reason}"
        ) from None
    return path


def read_npz(path: str | os.PathLike[str], what: str) -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` file (no pickles), read at once.

    Args:
        path: the file.
        what: what the file is meant to be (``"checkpoint"``, ``"photonic model"``…), for messages.

    Raises:
        ArtifactError: one line: the file does not exist, is not an npz at all (e.g. a JSON
            file), or is not a readable npz (truncated, corrupt).
    """
    import zipfile

    from photonic_dfa.errors import ArtifactError

    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"{what} {str(path)!r} does not exist")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise ArtifactError(f"{what} {str(path)!r} cannot be read: {exc.strerror}") from None
    if head != b"PK\x03\x04":
        if head[:1] in (b"{", b"["):
            kind = "it is JSON (pass the .npz itself, not its .json sidecar)"
        else:
            kind = f"not a zip archive (it starts with {head!r})"
        raise ArtifactError(f"{what} {str(path)!r} is not a readable npz file: {kind}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise ArtifactError(
            f"{path}: not a readable npz file ({type(exc).__name__}: {exc})"
        ) from None


def write_versioned_npz(
    path: str | os.PathLike[str],
    meta: dict[str, Any],
    arrays: dict[str, np.ndarray],
    *,
    meta_key: str = "meta",
    compressed: bool = False,
) -> Path:
    """Write arrays and a JSON ``meta`` entry (which holds ``schema`` and ``schema_version``) as one
    npz, atomically (no pickled objects)."""
    buf = io.BytesIO()
    entries = {meta_key: np.array(json.dumps(to_jsonable(meta))), **arrays}
    if compressed:
        np.savez_compressed(buf, allow_pickle=False, **entries)
    else:
        np.savez(buf, allow_pickle=False, **entries)
    return atomic_write_bytes(path, buf.getvalue())


def read_versioned_npz(
    path: str | os.PathLike[str],
    what: str,
    schema: str,
    version: int,
    *,
    meta_key: str = "meta",
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read an npz written by :func:`write_versioned_npz`: its meta dict and its other arrays.

    Raises:
        ArtifactError: one line naming the file: missing or unreadable, no or corrupt meta entry,
            another schema, or a version this package does not read.
    """
    from photonic_dfa.errors import ArtifactError

    data = read_npz(path, what)
    where = str(path)
    if meta_key not in data:
        raise ArtifactError(f"{where}: not a photonic_dfa {what} (no {meta_key!r} entry)")
    try:
        meta = json.loads(str(data.pop(meta_key)))
    except (json.JSONDecodeError, TypeError) as exc:
        raise ArtifactError(f"{where}: corrupt {meta_key!r} entry ({exc})") from None
    if not isinstance(meta, dict) or meta.get("schema") != schema:
        found = meta.get("schema") if isinstance(meta, dict) else None
        raise ArtifactError(f"{where}: schema is {found!r}, not a {what} ({schema!r})")
    if meta.get("schema_version") != version:
        raise ArtifactError(
            f"{where}: {what} schema_version {meta.get('schema_version')!r} is not supported "
            f"(this photonic_dfa reads version {version})"
        )
    return meta, data


def _lock_holder(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _try_lock(path: Path) -> bool:
    """Create ``path`` holding this PID, atomically (a hard link of a complete file)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.write(fd, f"{os.getpid()}\n".encode())
        os.close(fd)
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)


@contextlib.contextmanager
def directory_lock(directory: str | os.PathLike[str], *, name: str = ".lock") -> Iterator[Path]:
    """Hold ``directory/.lock`` (it holds this process's PID) for the duration of the block.

    A lock whose process no longer exists (or that is unreadable) is taken over.

    Raises:
        LockedError: one line naming the PID of the live process that holds the lock.
    """
    from photonic_dfa.errors import LockedError

    path = Path(directory) / name
    for _ in range(5):
        if _try_lock(path):
            break
        pid = _lock_holder(path)
        if pid is not None and pid != os.getpid() and _alive(pid):
            raise LockedError(
                f"output directory {str(directory)!r} is in use by process {pid} (lock file "
                f"{str(path)!r}); wait for it to finish or choose another output directory"
            )
        path.unlink(missing_ok=True)  # the holder is gone: take the lock over
    else:
        raise LockedError(f"could not take the lock {str(path)!r}: other processes keep taking it")
    try:
        yield path
    finally:
        if _lock_holder(path) == os.getpid():
            path.unlink(missing_ok=True)


def remove_tree(path: str | os.PathLike[str], *, what: str = "", advice: str = "") -> None:
    """Remove a directory tree (nothing if it is gone), or fail with one line naming it.

    Raises:
        PhotonicDFAError: the tree cannot be removed; the line names ``what`` (e.g. "the earlier
            run"), the path, the reason and ``advice``.
    """
    import shutil

    from photonic_dfa.errors import PhotonicDFAError

    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        name = f"{what} " if what else ""
        raise PhotonicDFAError(
            f"cannot remove {name}{str(exc.filename or path)!r}: {exc.strerror}; "
            f"{advice or 'remove it yourself'}"
        ) from None
