"""Headless Chromium for tests: screenshot a page and count the images that loaded."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium() -> str:
    """Path of Debian's chromium, or skip the test with a message saying why."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(
        "chromium not installed (.ci/run installs Debian's chromium); report render not checked"
    )
    raise AssertionError  # unreachable


def run_chromium(url: str, *extra: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, url],
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def screenshot(html_path: Path, png_path: Path, *, size: str = "1200,3000") -> Path:
    proc = run_chromium(
        html_path.resolve().as_uri(), f"--screenshot={png_path}", f"--window-size={size}"
    )
    assert png_path.exists(), proc.stderr[-2000:]
    return png_path


def loaded_images(html_path: Path) -> tuple[int, int]:
    """(number of <img>, number whose decode finished with a non-zero natural width)."""
    script = (
        "<script>window.addEventListener('load', () => {"
        "const imgs = [...document.images];"
        "document.title = 'IMAGES ' + imgs.length + ' ' +"
        " imgs.filter(i => i.complete && i.naturalWidth > 0).length; });</script>"
    )
    probe = html_path.with_name("_probe_" + html_path.name)
    probe.write_text(html_path.read_text().replace("</body>", script + "</body>"))
    try:
        proc = run_chromium(probe.resolve().as_uri(), "--dump-dom", "--virtual-time-budget=5000")
    finally:
        probe.unlink(missing_ok=True)
    marker = proc.stdout.split("<title>IMAGES ", 1)
    assert len(marker) == 2, f"no image count in the page: {proc.stderr[-1000:]}"
    total, ok = marker[1].split("<", 1)[0].split()
    return int(total), int(ok)
