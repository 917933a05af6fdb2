"""TFLite variants: promised dtypes, host evaluation (tf.lite + TFLM), deployability, table, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tfcompress.errors import TfcError

PTQ_MODES = ("float32", "dynamic", "float16", "int8", "int16x8")


@pytest.fixture(scope="module")
def ds():
    from tfcompress.data import load_dataset

    return load_dataset("digits", seed=0)


@pytest.fixture(scope="module")
def base(ds):
    from tfcompress.compress import finetune, toy

    model = toy.small_cnn(ds.input_shape, ds.num_outputs, width=8)
    finetune.fit(model, ds, epochs=6, learning_rate=5e-3)
    return model


@pytest.fixture(scope="module")
def variants(ds, base, tmp_path_factory):
    from tfcompress.compress.qat import quantize
    from tfcompress.convert.run import convert_all

    out = tmp_path_factory.mktemp("variants")
    records = convert_all(base, ds, PTQ_MODES, out, limit=120)
    qmodel = quantize(base, "qat")  # QAT wrappers without training are enough to check conversion
    qat_records = convert_all(qmodel, ds, ["qat-int8", "int8"], out / "qat", label="qat", limit=120)
    recs = {r["variant"]: r for r in records}
    recs.update({f"qat/{r['variant']}": r for r in qat_records})
    return out, recs


def test_every_mode_keeps_its_dtype_promise(variants):
    from tfcompress.convert.inspect import TfliteModel, weight_dtypes
    from tfcompress.convert.modes import MODES

    out, recs = variants
    for mode in (*PTQ_MODES, "qat-int8"):
        vdir = out / ("qat/" + mode if mode == "qat-int8" else mode)
        data = (vdir / "model.tflite").read_bytes()
        ins, outs = TfliteModel(data).io_dtypes()
        spec = MODES[mode]
        assert ins == [spec["io"]] and outs == [spec["io"]], mode
        wd = weight_dtypes(data)
        if mode == "dynamic":  # small tensors (< 1024 weights) stay float32
            assert "int8" in wd and wd <= {"int8", "float32"}
        else:
            assert wd == {spec["weights"]}, (mode, wd)
        assert json.loads((vdir / "metrics.json").read_text())["mode"] == mode


def test_failed_mode_is_recorded_and_others_still_made(variants):
    out, recs = variants
    assert recs["qat/qat-int8"]["error"] is None
    bad = recs["qat/int8"]  # PTQ int8 does not apply to a QAT model: recorded, not raised
    assert bad["error"] and "QAT" in bad["error"] and bad["deployable"] is False
    assert not (out / "qat" / "int8" / "model.tflite").exists()


def test_host_evaluation_and_deployability(variants, ds):
    _, recs = variants
    for mode in ("float32", "int16x8", "qat/qat-int8"):
        r = recs[mode]
        assert r["deployable"] is True and r["tflm_arena_bytes"] > 0 and r["tflm_metric"] is not None
        assert r["gzip_bytes"] < r["size_bytes"]
    assert "no int8 engine" in recs["float32"]["deployable_reason"]
    assert recs["dynamic"]["deployable"] is False and "hybrid" in recs["dynamic"]["deployable_reason"]
    assert recs["float16"]["deployable"] is False and "float16" in recs["float16"]["deployable_reason"]
    assert recs["float32"]["tflite_metric"] > 0.8
    assert recs["qat/qat-int8"]["size_bytes"] < recs["float32"]["size_bytes"] > recs["int8"]["size_bytes"]


def test_int8_tflm_matches_tflite_within_one(ds, base):
    """TFLM vs tf.lite (reference kernels) on the int8 logits: at most ±1 per element."""
    from tfcompress.convert.evaluate import tflite_predict
    from tfcompress.convert.modes import convert_model
    from tfcompress.convert.tflm import TflmRunner
    from tfcompress.tfenv import keras

    logits = keras().Model(base.inputs, base.get_layer("logits").output)
    data = convert_model(logits, "int8", ds)
    _, lite = tflite_predict(data, ds.x_test[:150])
    _, micro = TflmRunner(data).predict(ds.x_test[:150])
    assert lite.dtype == micro.dtype == np.int8
    assert np.max(np.abs(lite.astype(int) - micro.astype(int))) <= 1


def test_pareto_front_and_table_files(tmp_path):
    from tfcompress.convert.table import pareto_front, save_table, table_rows

    recs = [
        {"variant": "a", "gzip_bytes": 100, "tflite_metric": 0.90},
        {"variant": "b", "gzip_bytes": 50, "tflite_metric": 0.95},
        {"variant": "c", "gzip_bytes": 30, "tflite_metric": 0.80, "tflm_metric": 0.81},
        {"variant": "d", "gzip_bytes": None, "error": "boom"},
    ]
    assert pareto_front(recs) == {"b", "c"}
    assert pareto_front(recs, higher_is_better=False) == {"c"}
    rows = table_rows(recs)
    paths = save_table(rows, tmp_path, "accuracy")
    assert all(p.stat().st_size > 0 for p in paths.values())
    assert json.loads(paths["json"].read_text())["variants"][1]["pareto"] is True
    assert paths["csv"].read_text().splitlines()[0].startswith("variant,mode,size_bytes,gzip_bytes")


def test_unknown_mode_is_a_user_error():
    from tfcompress.convert.modes import parse_modes

    with pytest.raises(TfcError, match="unknown conversion mode"):
        parse_modes("int8,int4", False)
    assert parse_modes(None, True) == ["qat-int8"]


def test_cli_compress_then_convert(tmp_path, ds, base):
    from click.testing import CliRunner

    from tfcompress.cli import main
    from tfcompress.modelio import save_model

    model = save_model(base, tmp_path / "base.keras")
    runner = CliRunner()
    res = runner.invoke(main, ["compress", str(model), "--dataset", "digits", "--prune", "0.5", "--epochs", "1",
                               "--out", str(tmp_path / "pruned"), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["stage"] == "prune" and abs(summary["metrics"]["pruned_sparsity"] - 0.5) <= 0.01
    again = runner.invoke(main, ["compress", str(model), "--dataset", "digits", "--prune", "0.5",
                                 "--out", str(tmp_path / "pruned")])
    assert again.exit_code == 2 and "--force" in again.output
    res = runner.invoke(main, ["convert", str(tmp_path / "pruned" / "model.h5"), "--dataset", "digits",
                               "--modes", "int8,float16", "--out", str(tmp_path / "v"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [v["variant"] for v in out["variants"]] == ["int8", "float16"]
    assert (tmp_path / "v" / "int8" / "model.tflite").is_file()
    assert (tmp_path / "v" / "variants.png").is_file()
