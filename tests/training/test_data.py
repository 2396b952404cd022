"""MNIST loading: sources in order, md5/IDX checks with one-line errors, the subset fallback."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from photonic_dfa.errors import DataError
from photonic_dfa.training.data import (
    ENV_VAR,
    MNIST_FILES,
    load_mnist,
    mnist_from_dir,
    mnist_subset,
    read_idx,
    split_holdout,
)


def _idx_bytes(arr: np.ndarray) -> bytes:
    magic = (0x08 << 8) | arr.ndim
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return header + arr.astype(np.uint8).tobytes()


@pytest.fixture
def idx_dir(tmp_path, subset) -> Path:
    """Uncompressed IDX files made from the subset (no md5: they are not the originals)."""
    d = tmp_path / "idx"
    d.mkdir()
    parts = {
        "train-images-idx3-ubyte": subset.train_images[:300].reshape(-1, 28, 28),
        "train-labels-idx1-ubyte": subset.train_labels[:300],
        "t10k-images-idx3-ubyte": subset.test_images[:100].reshape(-1, 28, 28),
        "t10k-labels-idx1-ubyte": subset.test_labels[:100],
    }
    for name, arr in parts.items():
        (d / name).write_bytes(_idx_bytes(arr))
    return d


def test_known_md5_are_those_of_the_shared_originals(full_mnist_dir):
    for name, (md5, _, _) in MNIST_FILES.items():
        digest = hashlib.md5((full_mnist_dir / name).read_bytes()).hexdigest()
        assert digest == md5, name


def test_full_mnist_shapes_and_labels(full_mnist_dir):
    d = load_mnist(full_mnist_dir)
    assert d.train_images.shape == (60000, 784) and d.test_images.shape == (10000, 784)
    assert d.train_images.dtype == np.uint8 and d.train_labels.dtype == np.int32
    assert np.bincount(d.train_labels).tolist()[:2] == [5923, 6742]  # the known class counts
    assert not d.is_subset and d.notice is None and set(d.md5) == set(MNIST_FILES)


def test_truncated_original_fails_naming_the_file(full_mnist_dir, tmp_path):
    for name in MNIST_FILES:
        (tmp_path / name).symlink_to(full_mnist_dir / name)
    bad = tmp_path / "t10k-labels-idx1-ubyte.gz"
    data = bad.read_bytes()
    bad.unlink()
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz.*corrupt or truncated") as exc:
        load_mnist(tmp_path)
    assert "\n" not in str(exc.value)


def test_corrupt_gzip_body_is_caught_even_without_md5(tmp_path, subset):
    path = tmp_path / "labels-idx1-ubyte.gz"  # unknown name: no md5, gzip/IDX checks apply
    raw = gzip.compress(_idx_bytes(subset.test_labels[:50]))
    path.write_bytes(raw[:-9])
    with pytest.raises(DataError, match=r"labels-idx1-ubyte\.gz"):
        read_idx(path)


def test_uncompressed_idx_dir_loads(idx_dir):
    d = mnist_from_dir(idx_dir)
    assert d.train_images.shape == (300, 784) and d.test_labels.shape == (100,)
    assert d.md5["train-images-idx3-ubyte"] == "uncompressed"


def test_truncated_idx_and_missing_file_name_the_file(idx_dir):
    path = idx_dir / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.*truncated"):
        mnist_from_dir(idx_dir)
    path.unlink()
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz' does not exist"):
        mnist_from_dir(idx_dir)
    with pytest.raises(DataError, match="does not exist"):
        load_mnist(idx_dir / "nowhere")


def test_label_count_mismatch_is_an_error(idx_dir, subset):
    (idx_dir / "t10k-labels-idx1-ubyte").write_bytes(_idx_bytes(subset.test_labels[:99]))
    with pytest.raises(DataError, match="differ in count"):
        mnist_from_dir(idx_dir)


def test_source_order_env_then_cache_then_subset(idx_dir, tmp_path, subset, monkeypatch):
    monkeypatch.setattr("photonic_dfa.training.data.mnist_subset", lambda: subset)
    empty_cache = tmp_path / "cache"
    # the environment variable is used when no directory is given ...
    d = load_mnist(env={ENV_VAR: str(idx_dir)}, cache_dir=empty_cache, download=False)
    assert d.source == str(idx_dir)
    # ... and a broken one is an error, not a silent fallback
    with pytest.raises(DataError, match=ENV_VAR):
        load_mnist(env={ENV_VAR: str(tmp_path / "nope")}, cache_dir=empty_cache)
    # a complete cache is used
    d = load_mnist(env={}, cache_dir=idx_dir, download=False)
    assert d.source == str(idx_dir)
    # nothing anywhere (no download) -> the subset, with a notice that says so
    d = load_mnist(env={}, cache_dir=empty_cache, download=False)
    assert d.is_subset and "subset" in d.notice and "NOT comparable" in d.notice


def test_download_checks_md5_and_fills_the_cache(full_mnist_dir, tmp_path):
    cache = tmp_path / "cache"
    bad_mirror = tmp_path / "bad"
    bad_mirror.mkdir()
    for name in MNIST_FILES:
        (bad_mirror / name).write_bytes(b"not mnist")
    mirrors = (bad_mirror.as_uri() + "/", full_mnist_dir.as_uri() + "/")
    messages: list[str] = []
    d = load_mnist(env={}, cache_dir=cache, mirrors=mirrors, log=messages.append)
    assert not d.is_subset and d.train_images.shape == (60000, 784)
    assert sum("wrong md5" in m for m in messages) == 4
    assert sorted(p.name for p in cache.iterdir()) == sorted(MNIST_FILES)


def test_unreachable_download_falls_back_to_subset(tmp_path, subset, monkeypatch):
    monkeypatch.setattr("photonic_dfa.training.data.mnist_subset", lambda: subset)
    cache = tmp_path / "c"
    mirrors = ((tmp_path / "x").as_uri() + "/",)
    messages: list[str] = []
    d = load_mnist(env={}, cache_dir=cache, mirrors=mirrors, log=messages.append)
    assert d.is_subset and any("download failed" in m for m in messages)
    # a recent failure is remembered: no second wait for the network
    messages.clear()
    assert load_mnist(env={}, cache_dir=cache, mirrors=mirrors, log=messages.append).is_subset
    assert not any("trying to download" in m for m in messages)


def test_subset_split_is_fixed_balanced_and_disjoint(subset):
    again = mnist_subset()  # a second load gives the same split
    assert len(subset.train_labels) == 4000 and len(subset.test_labels) == 1000
    assert np.array_equal(subset.train_images, again.train_images)
    assert np.bincount(subset.test_labels).tolist() == [100] * 10
    train_rows = {r.tobytes() for r in subset.train_images}
    assert not any(r.tobytes() in train_rows for r in subset.test_images[:200])


@given(n=st.integers(2, 500), frac=st.floats(0.01, 0.99), seed=st.integers(0, 2**31 - 1))
@settings(max_examples=40, deadline=None)
def test_holdout_split_partitions(n, frac, seed):
    val, test = split_holdout(n, frac, seed)
    assert len(val) >= 1 and len(test) >= 1
    assert np.array_equal(np.sort(np.concatenate([val, test])), np.arange(n))
    v2, _ = split_holdout(n, frac, seed)
    assert np.array_equal(val, v2)


@given(
    shape=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    cut=st.integers(1, 20),
)
@settings(max_examples=40, deadline=None)
def test_idx_round_trip_and_any_truncation_is_detected(tmp_path_factory, shape, cut):
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, shape).astype(np.uint8)
    path = tmp_path_factory.mktemp("idx") / "x-idx-ubyte"
    raw = _idx_bytes(arr)
    path.write_bytes(raw)
    assert np.array_equal(read_idx(path), arr)
    path.write_bytes(raw[: max(len(raw) - cut, 0)])
    with pytest.raises(DataError, match="x-idx-ubyte"):
        read_idx(path)


def test_unreadable_bytes_are_not_idx(tmp_path):
    path = tmp_path / "junk"
    shutil.copyfile(__file__, path)
    with pytest.raises(DataError, match="not an unsigned-byte IDX file"):
        read_idx(path)


def test_a_recent_download_failure_is_reported_with_its_age_and_the_cure(
    tmp_path, subset, monkeypatch
):
    import os
    import time

    monkeypatch.setattr("photonic_dfa.training.data.mnist_subset", lambda: subset)
    cache = tmp_path / "c"
    cache.mkdir()
    marker = cache / ".download_failed"
    marker.touch()
    three_hours_ago = time.time() - 3 * 3600 - 120
    os.utime(marker, (three_hours_ago, three_hours_ago))
    messages: list[str] = []
    d = load_mnist(env={}, cache_dir=cache, log=messages.append)
    assert d.is_subset
    line = next(m for m in messages if "download not tried" in m)
    assert "failed 3 h 2 min ago" in line and str(marker) in line and "delete the marker" in line
    assert "next attempt in 20 h" in line
    # and what was searched is said
    assert any("searched in: --data (not given)" in m for m in messages)
    # deleting the marker retries at once
    marker.unlink()
    messages.clear()
    load_mnist(
        env={}, cache_dir=cache, mirrors=((tmp_path / "x").as_uri() + "/",), log=messages.append
    )
    assert any("trying to download" in m for m in messages)


def test_the_source_is_logged(idx_dir):
    messages: list[str] = []
    load_mnist(idx_dir, log=messages.append)
    assert messages == [f"MNIST from {str(idx_dir)!r} (given directory)"]
