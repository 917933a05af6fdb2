"""Results table, CSV, Pareto front and best-variant selection."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tfcompress.report.table import (
    best_variant,
    cost_points,
    format_count,
    pareto_front,
    results_table,
    table_rows,
    write_csv,
)

FIXTURE = Path(__file__).parent / "fixtures" / "report"


@pytest.fixture()
def results() -> dict:
    return json.loads((FIXTURE / "results.json").read_text())


def _classification(results: dict) -> dict:
    results = dict(results, task="classification", metric="accuracy", higher_is_better=True)
    results["board"] = {"name": "stm32h747i-disco", "emulated": False, "latency_unit": "cycles"}
    accs = [0.91, 0.93, 0.94, 0.92, 0.925, 0.90]
    results["variants"] = [dict(v, metric_host=a, metric_tflm=a if v["deployable"] else None,
                                metric_device=a if v["deployable"] else None)
                           for v, a in zip(results["variants"], accs, strict=True)]
    return results


def test_terminal_table_has_one_row_per_variant(results):
    text = results_table(results)
    lines = text.splitlines()
    assert "lower is better" in lines[0] and "mps2-an500" in lines[0]
    header = lines[1]
    for col in ("variant", "runtime", "host", "device", "agreement", "flash KB (weights + code)", "RAM KB",
                "latency instr (emu)", "ratio"):
        assert col in header
    body = lines[3:]
    assert [row.split()[0] for row in body] == [v["variant"] for v in results["variants"]]
    int8 = body[0]
    assert "1.64 px" in int8 and "100.0%" in int8 and "36.3 (24.8 + 11.6)" in int8
    assert "2.48 M" in int8 and "2.65×" in int8 and "9.2" in int8
    float16 = body[2]
    assert "TFLM has no float16 weight support" in float16
    assert float16.split()[4] == "-"  # runtime "-", "1.55 px", then no TFLM metric for a non-deployable variant
    assert "hybrid" in body[3]


def test_missing_values_show_a_dash(results):
    results["variants"][0].update(latency=None, ram_bytes=None, agreement=None, compression_ratio=None)
    cols, rows = table_rows(results)
    row = rows[0]
    assert row["agreement"] == row["RAM KB"] == row["ratio"] == row["latency instr (emu)"] == "-"
    assert cols[cols.index("RAM KB") + 1] == "latency instr (emu)"


def test_flash_falls_back_to_weights_plus_code(results):
    results["variants"][0]["flash_bytes"] = None
    _, rows = table_rows(results)
    assert rows[0]["flash KB (weights + code)"].startswith("36.3")


def test_pareto_front_respects_direction():
    pts = [("a", 10, 1.0), ("b", 20, 0.5), ("c", 20, 2.0), ("d", 30, 0.5), ("e", 5, 3.0)]
    # lower metric is better: c is dominated by a, d by b
    assert pareto_front(pts, higher_is_better=False) == ["a", "b", "e"]
    # higher metric is better: only c (better than a and b) and e (cheapest, best) survive
    assert pareto_front(pts, higher_is_better=True) == ["e"]
    # ties: identical points do not dominate each other
    assert pareto_front([("x", 1, 1.0), ("y", 1, 1.0)], False) == ["x", "y"]


def test_pareto_and_best_on_fixture(results):
    assert pareto_front(cost_points(results, "flash"), False) == ["int16x8", "qat-int8", "pcqat-int8"]
    assert pareto_front(cost_points(results, "latency"), False) == ["int16x8", "qat-int8"]
    names = [p[0] for p in cost_points(results, "flash")]
    assert "float16" not in names and "dynamic" not in names
    assert best_variant(results) == "int16x8"


def test_classification_formats_accuracy_and_cycles(results):
    res = _classification(results)
    assert best_variant(res) == "int16x8"
    _, rows = table_rows(res)
    assert rows[1]["device"] == "93.00%"
    text = results_table(res)
    assert "latency cycles" in text and "higher is better" in text


def test_best_is_none_when_nothing_is_deployable(results):
    for v in results["variants"]:
        v["deployable"] = False
        v["reason"] = v["reason"] or "too big"
    assert best_variant(results) is None
    assert "too big" in results_table(results)


def test_format_count():
    assert format_count(None) == "-"
    assert format_count(812) == "812"
    assert format_count(4_102_337) == "4.10 M"
    assert format_count(12_500) == "12.5 k"


def test_write_csv_round_trips_raw_values(results, tmp_path):
    path = write_csv(results, tmp_path / "r.csv")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["variant"] for r in rows] == [v["variant"] for v in results["variants"]]
    assert int(rows[0]["flash_bytes"]) == results["variants"][0]["flash_bytes"]
    assert float(rows[0]["latency"]) == results["variants"][0]["latency"]
    assert rows[0]["latency_unit"] == "instructions (emulated)"
    assert rows[2]["flash_bytes"] == "" and rows[2]["deployable"] == "False"
    assert [r["best"] for r in rows].count("True") == 1 and rows[1]["best"] == "True"
    assert rows[5]["pareto_flash"] == "True" and rows[0]["pareto_flash"] == "False"
