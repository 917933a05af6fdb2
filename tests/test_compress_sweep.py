"""Sparsity sweep: parsing, best-point choice and outputs (fast); a real sweep is marked slow."""

from __future__ import annotations

import json

import pytest

from tfcompress.errors import TfcError


def test_parse_sweep_is_inclusive():
    from tfcompress.compress.sweep import parse_sweep

    pts = parse_sweep("0.10:0.90:0.05")
    assert len(pts) == 17 and pts[0] == 0.10 and pts[-1] == 0.90
    for bad in ("0.1:0.9", "0.9:0.1:0.1", "a:b:c", "0.1:1.0:0.1"):
        with pytest.raises(TfcError):
            parse_sweep(bad)


def _rows(values):
    return [{"schedule": "constant", "target": t, "sparsity": t, "pruned_sparsity": t, "value": v,
             "delta": v - 0.95} for t, v in values]


def test_best_is_highest_sparsity_within_tolerance():
    from tfcompress.compress.sweep import choose_best

    rows = _rows([(0.2, 0.95), (0.4, 0.945), (0.6, 0.942), (0.8, 0.90)])
    i, why = choose_best(rows, 0.95, 0.01, higher=True)
    assert rows[i]["target"] == 0.6 and "within 0.01" in why
    err = _rows([(0.2, 1.0), (0.4, 1.2), (0.6, 1.5)])
    i, _ = choose_best(err, 1.0, 0.3, higher=False)
    assert err[i]["target"] == 0.4
    i, why = choose_best(_rows([(0.5, 0.5), (0.7, 0.6)]), 0.95, 0.01, higher=True)
    assert i == 1 and "no point" in why


def test_save_sweep_writes_csv_json_png(tmp_path):
    from tfcompress.compress.sweep import SweepResult, save_sweep

    rows = _rows([(0.2, 0.95), (0.5, 0.94)]) + [
        {"schedule": "polynomial", "target": 0.5, "sparsity": 0.5, "pruned_sparsity": 0.5, "value": 0.945,
         "delta": -0.005}]
    for i, r in enumerate(rows):
        r["best"] = i == 2
    paths = save_sweep(SweepResult(0.95, "accuracy", rows, 2, "because", 0.01), tmp_path)
    assert all(p.stat().st_size > 0 for p in paths.values())
    data = json.loads(paths["json"].read_text())
    assert data["best"]["schedule"] == "polynomial" and len(data["points"]) == 3


@pytest.mark.slow
def test_full_sweep_on_digits():
    from tfcompress.compress import finetune, toy
    from tfcompress.compress.prune import PruneParams
    from tfcompress.compress.sweep import parse_sweep, sweep
    from tfcompress.data import load_dataset

    ds = load_dataset("digits", seed=0)
    model = toy.small_cnn(ds.input_shape, ds.num_outputs)
    finetune.fit(model, ds, epochs=10, learning_rate=5e-3)
    res = sweep(model, ds, parse_sweep("0.10:0.90:0.20"), schedules=("constant", "polynomial"),
                base=PruneParams(epochs=3), tolerance=0.02)
    assert len(res.rows) == 10 and sum(r["best"] for r in res.rows) == 1
    for r in res.rows:
        assert abs(r["pruned_sparsity"] - r["target"]) <= 0.01
