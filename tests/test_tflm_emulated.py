"""TensorFlow Lite Micro as the second on-device runtime, under QEMU: the same harness and host
code run TFLM's interpreter in firmware; outputs equal TFLM's host interpreter (float outputs
within the stated tolerance), instruction counts repeat exactly, the RAM figure is what the
device reports.

The default suite builds ONE TFLM library per session (the CMSIS-NN tree for the Cortex-M7 of
mps2-an500, -O2, cached in the user cache across sessions); the reference tree and the
Cortex-M4F of netduinoplus2 need libraries of their own and are marked slow."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SHARED, require_tool, wait_for_tflm_library

from tfcompress.cli import main
from tfcompress.engine.validate import validate_model

pytestmark = [pytest.mark.emulated, pytest.mark.shared]

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
#: multi-op models of ours (the corpus): 9 ops, single input; two inputs with CONCATENATION;
#: two outputs
MULTI_OP = ["arch_inverted_residual_se_int8", "arch_multi_input_int8", "arch_two_head_detector_int8"]


def tflm_tree(kernels: str) -> Path:
    """../shared/tflm/<kernels> (see its SOURCE.md), or skip naming what is missing."""
    require_tool("arm-none-eabi-g++", "gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib")
    require_tool("qemu-system-arm", "qemu-system-arm")
    tree = SHARED / "tflm" / kernels
    if not (tree / "tensorflow" / "lite" / "micro" / "micro_interpreter.h").is_file():
        pytest.skip(f"no TFLM {kernels} tree at {tree} (made by create_tflm_tree.py; a fresh clone has no ../shared)")
    wait_for_tflm_library()
    return tree


def _validate_cli(model: Path, board: str, tree: Path, samples: int = 3) -> dict:
    res = CliRunner().invoke(main, ["validate", str(model), "--board", board, "--runtime", "tflm",
                                    "--tflm-dir", str(tree), "--samples", str(samples), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_validate_kws_with_tflm_twice(mlperf_models):
    """The issue's check: KWS through TFLM + CMSIS-NN on mps2-an500, twice: 0 differing elements,
    identical instruction counts, the arena the device reports as RAM, flash."""
    tree = tflm_tree("cmsis-nn")
    model = mlperf_models / "kws_dscnn_int8.tflite"
    first, second = (_validate_cli(model, "mps2-an500", tree) for _ in range(2))
    assert first["runtime"] == "tflm" and first["mismatched_elements"] == 0 and first["samples"] == 3
    assert first["oracle"] == "tflm" and first["float_tolerance"] is None  # int8 outputs: exact
    assert first["instructions"] == second["instructions"]  # -icount: deterministic
    assert abs(first["instructions"] / 7.64e6 - 1) < 0.03  # DESIGN.md section 6: 7.64 M per Invoke()
    # RAM: arena_used_bytes() on the 32-bit device, below the 64-bit host's recording (24,272 B)
    assert first["ram_bytes"] == first["arena_used_bytes"] == second["ram_bytes"]
    assert 20_000 < first["ram_bytes"] < first["tflm_arena_bytes"]
    assert first["flash_bytes"] > first["weights_bytes"] > 0 and 40_000 < first["code_bytes"] < 200_000
    assert second["tflm_library"]["built"] is False  # the second build links the cached library


@pytest.mark.parametrize("name", MULTI_OP)
def test_multi_op_models_equal_the_host_interpreter(name):
    tree = tflm_tree("cmsis-nn")
    path = CORPUS / f"{name}.tflite"
    runs = [validate_model(path, board="mps2-an500", samples=2, runtime="tflm", tflm_dir=tree) for _ in range(2)]
    for res in runs:
        assert res.mismatched_elements == 0 and res.runtime == "tflm", res.per_output
    assert runs[0].runner_stats["instructions"] == runs[1].runner_stats["instructions"] > 0


def test_stateful_model_resets_like_tflm():
    """Variable tensors (LSTM state): the sequence carries state over on the device as on the host,
    and RESET (MicroInterpreter::Reset) restarts it (validate runs sample 0 again after a reset)."""
    tree = tflm_tree("cmsis-nn")
    res = validate_model(CORPUS / "arch_kws_lstm_int8.tflite", board="mps2-an500", samples=3, runtime="tflm",
                         tflm_dir=tree)
    assert res.stateful and res.samples == 4 and res.mismatched_elements == 0


def _float32_model() -> bytes:
    from tfcompress.tfenv import keras, tf

    K = keras()
    rng = np.random.default_rng(3)
    inp = K.Input((12, 12, 2))
    x = K.layers.Conv2D(6, 3, activation="relu")(inp)
    x = K.layers.DepthwiseConv2D(3, padding="same")(x)
    x = K.layers.AveragePooling2D()(x)
    x = K.layers.Flatten()(x)
    out = K.layers.Dense(4, activation="softmax")(x)
    model = K.Model(inp, out)
    model.set_weights([rng.normal(0, 0.4, w.shape).astype(np.float32) for w in model.get_weights()])
    return tf().lite.TFLiteConverter.from_keras_model(model).convert()


def test_float32_model_runs_through_tflm_within_tolerance(tmp_path):
    """A float32 model the engine cannot compile runs on the device through TFLM; its float outputs
    equal the x86 host's within the stated tolerance, the largest difference reported."""
    from tfcompress.compare import FLOAT_TOLERANCE
    from tfcompress.engine.compiler import compile_tflite
    from tfcompress.errors import TfcError

    tree = tflm_tree("cmsis-nn")
    path = tmp_path / "float32.tflite"
    path.write_bytes(_float32_model())
    with pytest.raises(TfcError):
        compile_tflite(path)
    res = validate_model(path, board="mps2-an500", samples=4, runtime="tflm", tflm_dir=tree)
    assert res.float_tolerance == FLOAT_TOLERANCE and res.mismatched_elements == 0
    assert 0.0 <= res.max_abs_diff < 1e-5
    assert res.as_dict()["max_abs_diff"] == res.max_abs_diff


@pytest.mark.slow
@pytest.mark.parametrize("kernels", ["reference", "cmsis-nn"])
def test_netduinoplus2_runs_kws_and_a_multi_op_model(mlperf_models, kernels):
    """Cortex-M4F (netduinoplus2): another TFLM library per tree; KWS and a model of ours."""
    tree = tflm_tree(kernels)
    first = _validate_cli(mlperf_models / "kws_dscnn_int8.tflite", "netduinoplus2", tree, samples=2)
    second = _validate_cli(mlperf_models / "kws_dscnn_int8.tflite", "netduinoplus2", tree, samples=2)
    assert first["mismatched_elements"] == 0 and first["instructions"] == second["instructions"]
    res = validate_model(CORPUS / f"{MULTI_OP[0]}.tflite", board="netduinoplus2", samples=2, runtime="tflm",
                         tflm_dir=tree)
    assert res.mismatched_elements == 0


@pytest.mark.slow
def test_reference_tree_on_mps2_an500(mlperf_models):
    tree = tflm_tree("reference")
    first = _validate_cli(mlperf_models / "kws_dscnn_int8.tflite", "mps2-an500", tree, samples=2)
    second = _validate_cli(mlperf_models / "kws_dscnn_int8.tflite", "mps2-an500", tree, samples=2)
    assert first["mismatched_elements"] == 0 and first["instructions"] == second["instructions"]
    assert abs(first["instructions"] / 44.2e6 - 1) < 0.03  # DESIGN.md section 6: TFLM reference 44.2 M


def test_benchmark_measures_tflm_and_the_engine_in_one_run(mlperf_models, capsys):
    """benchmarks/instructions.py on the AD autoencoder: TFLM + CMSIS-NN and our optimised kernels in
    the same run, RAM measured the same way (static data + painted stack), ratios from this run and
    DESIGN.md section 6 only as a cross-check."""
    from conftest import instructions_benchmark

    tree = tflm_tree("cmsis-nn")
    bench = instructions_benchmark()
    code = bench.main(["--models", "ad", "--kernels", "optimized", "--tflm-kernels", "cmsis-nn",
                       "--tflm-dir", f"cmsis-nn={tree}", "--size-opt", "", "--json"])
    assert code == 0
    rows = {r["kernels"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    tflm, ours = rows["tflm-cmsis-nn"], rows["optimized"]
    assert tflm["runtime"] == "tflm" and ours["runtime"] == "engine"
    assert tflm["mismatches"] == ours["mismatches"] == 0
    assert abs(tflm["design"]["vs_measured"] - 1) < 0.05  # DESIGN.md section 6: 0.58 M
    assert ours["vs_tflm"]["kernels"] == "tflm-cmsis-nn" and ours["tflm_source"] == "this run"
    assert ours["vs_tflm"]["instructions"] == pytest.approx(ours["instructions"] / tflm["instructions"])
    for r in (tflm, ours):
        assert r["stack"] > 0 and r["ram_measured"] == r["static"] + r["stack"] and r["code"] > 0
    assert ours["ram_measured"] >= ours["ram"]  # measured >= planned (call frames come on top)
    assert tflm["ram"] == tflm["arena"] < tflm["ram_measured"]  # TFLM: arena_used_bytes() + the rest


@pytest.mark.slow
def test_detection_postprocess_rows_tflm_leaves_undefined_on_the_device(tmp_path):
    """TFLite_Detection_PostProcess in TFLM firmware: with fewer detections than rows, the rows
    past them keep earlier values on the device as in the host interpreter; both are compared as
    zero (tflm.undefined_rows_blanker), the detections themselves exactly."""
    tree = tflm_tree("cmsis-nn")
    n, rng = 24, np.random.default_rng(2)
    enc, cls = np.zeros((6, 1, n, 4), np.float32), np.zeros((6, 1, n, 4), np.float32)
    for s, k in enumerate((6, 1, 4, 0, 3, 2)):  # boxes above the score threshold
        cls[s, 0, rng.choice(n, k, replace=False), 1] = rng.uniform(0.5, 1.0, k)
    np.savez(tmp_path / "few.npz", x0=enc, x1=cls)
    res = validate_model(CORPUS / "op_detection_postprocess_fast_float32.tflite", board="mps2-an500",
                         runtime="tflm", tflm_dir=tree, data=tmp_path / "few.npz", localize=False)
    assert res.runtime == "tflm" and res.samples == 6 and res.mismatched_elements == 0, res.per_output
