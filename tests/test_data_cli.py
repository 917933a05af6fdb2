"""The ``datasets`` command and the preview grid."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tfcompress.cli import main
from tfcompress.data import load_dataset
from tfcompress.data.preview import save_preview


def test_datasets_table() -> None:
    result = CliRunner().invoke(main, ["datasets"])
    assert result.exit_code == 0, result.output
    for needle in ("synthetic-eyes", "gaze-zones", "digits", "npz:PATH", "regression", "64x64x1"):
        assert needle in result.output


def test_datasets_params() -> None:
    result = CliRunner().invoke(main, ["datasets", "--params"])
    assert result.exit_code == 0
    assert "occlusion" in result.output and "zones" in result.output


def test_datasets_json_is_one_object() -> None:
    result = CliRunner().invoke(main, ["datasets", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    names = [s["name"] for s in data["sources"]]
    assert names[:3] == ["synthetic-eyes", "gaze-zones", "digits"]
    eyes = data["sources"][0]
    assert eyes["task"] == "regression" and eyes["params"]["n_train"]["default"] == 6000


def test_preview_writes_png(tmp_path: Path) -> None:
    ds = load_dataset("synthetic-eyes", n_train=4, n_val=2, n_test=8)
    out = save_preview(ds, tmp_path / "plots" / "eyes.png", n=8, predictions=ds.y_test + 0.01)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    digits = load_dataset("digits")
    out = save_preview(digits, tmp_path / "digits.png", n=6, cols=3, predictions=digits.y_test)
    assert out.stat().st_size > 1000
