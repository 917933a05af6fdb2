"""The HTML report renders in a real browser (headless Chromium screenshot)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tfcompress.report import write_report

FIXTURE = Path(__file__).parent / "fixtures" / "report"


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("chromium not installed (apt-get install --no-install-recommends chromium); "
                "the HTML report's rendering is not checked")


def test_report_renders_in_headless_chromium(tmp_path):
    browser = _chromium()
    run = tmp_path / "run"
    shutil.copytree(FIXTURE, run, ignore=shutil.ignore_patterns("*.py"))
    html = write_report(run)
    shot = tmp_path / "shot.png"
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,2400",
           html.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert shot.is_file(), f"no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}"
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("RGB"))
    assert img.shape[:2] == (2400, 1200)
    colours = np.unique(img.reshape(-1, 3), axis=0)
    assert len(colours) > 500, f"screenshot looks blank ({len(colours)} colours)"
    # content everywhere, not just a header: every 600-px band has non-white pixels
    for top in range(0, 2400, 600):
        band = img[top:top + 600]
        assert (band < 240).any(axis=2).mean() > 0.01, f"band at y={top} is empty"
