"""The model zoo: every model builds for several inputs/tasks and tfmot can wrap it."""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest
from click.testing import CliRunner

from tfcompress.errors import TfcError
from tfcompress.models import ModelSpec, build_model, get_entry, int8_weight_bytes, list_models

NAMES = [e.name for e in list_models()]
TASKS = [("classification", 10), ("regression", 2)]


def test_zoo_has_the_promised_models() -> None:
    assert set(NAMES) == {"tiny-cnn", "heatmap-cnn", "mobilenet-v1", "mobilenet-v2", "squeezenet", "resnet8", "ds-cnn"}
    assert all(e.description and e.num_blocks >= 3 for e in list_models())


def test_zoo_block_counts_are_the_architectures() -> None:
    for entry in list_models():
        assert importlib.import_module(entry.module).NUM_BLOCKS == entry.num_blocks, entry.name


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(8, 8, 1), (64, 64, 1)])
@pytest.mark.parametrize("task,n", TASKS)
def test_builds_with_contract_head(name: str, shape: tuple, task: str, n: int) -> None:
    model = build_model(name, shape, n, task, width=0.25)
    assert model.input_shape == (None, *shape)
    assert model.output_shape == (None, n)
    last = model.layers[-1]
    if task == "classification":
        assert last.name == "probs" and last.__class__.__name__ == "Softmax"
        assert model.get_layer("logits").__class__.__name__ == "Dense"
    else:
        assert last.name == "regression" and last.__class__.__name__ == "Dense"
        assert last.activation.__name__ == "linear"
    types = {layer.__class__.__name__ for layer in model.layers}
    assert "Lambda" not in types
    weighted = [layer.name for layer in model.layers if layer.weights]
    assert any(w.startswith("block") for w in weighted)
    out = model(np.zeros((1, *shape), np.float32), training=False).numpy()
    assert np.isfinite(out).all()


@pytest.mark.parametrize("name", NAMES)
def test_builds_for_rgb_32(name: str) -> None:
    model = build_model(name, (32, 32, 3), 10, "classification", width=0.5)
    assert model.output_shape == (None, 10)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("task,n", TASKS)
def test_tfmot_can_quantize_and_prune(name: str, task: str, n: int) -> None:
    from tfcompress.tfenv import tfmot

    model = build_model(name, (8, 8, 1), n, task, width=0.25)
    q = tfmot().quantization.keras.quantize_model(model)
    assert q.output_shape == (None, n)
    p = tfmot().sparsity.keras.prune_low_magnitude(model)
    assert any(layer.__class__.__name__ == "PruneLowMagnitude" for layer in p.layers)


def test_width_and_drop_blocks_shrink_the_model() -> None:
    full = build_model("mobilenet-v1", (32, 32, 3), 10, "classification", width=0.5)
    narrow = build_model("mobilenet-v1", (32, 32, 3), 10, "classification", width=0.25)
    cut = build_model("mobilenet-v1", (32, 32, 3), 10, "classification", width=0.5, drop_blocks=2)
    assert narrow.count_params() < full.count_params()
    assert cut.count_params() < full.count_params()
    names = {layer.name for layer in cut.layers}
    assert "block11_pw_conv" in names and "block12_pw_conv" not in names


def test_same_seed_same_weights() -> None:
    a = build_model("resnet8", (8, 8, 1), 3, "classification", seed=3)
    b = build_model("resnet8", (8, 8, 1), 3, "classification", seed=3)
    c = build_model("resnet8", (8, 8, 1), 3, "classification", seed=4)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert any(not np.array_equal(wa, wc) for wa, wc in zip(a.get_weights(), c.get_weights(), strict=True))


def test_int8_weight_bytes_counts_kernels_and_int32_biases() -> None:
    from tfcompress.tfenv import keras

    k = keras()
    inp = k.Input((4, 4, 2))
    x = k.layers.Conv2D(3, 3, use_bias=False)(inp)  # 54 int8 + 3 int32 bias (folded BN)
    x = k.layers.DepthwiseConv2D(1)(x)  # 3 + 3 int32
    x = k.layers.Flatten()(x)
    out = k.layers.Dense(5)(x)  # 12*5 + 5 int32
    model = k.Model(inp, out)
    assert int8_weight_bytes(model) == (54 + 12) + (3 + 12) + (60 + 20)


def test_tiny_cnn_fits_64kb_for_eyes() -> None:
    model = build_model("tiny-cnn", (64, 64, 1), 2, "regression")
    assert int8_weight_bytes(model) <= 64 * 1024


@pytest.mark.parametrize(
    "kwargs,fragment",
    [
        ({"name": "vgg16"}, "unknown model 'vgg16'"),
        ({"width": 0.0}, "width"),
        ({"width": float("nan")}, "width"),
        ({"drop_blocks": 4}, "drop_blocks"),
        ({"drop_blocks": -1}, "drop_blocks"),
        ({"task": "segmentation"}, "unknown task"),
        ({"input_shape": (8, 8)}, "input_shape"),
        ({"num_outputs": 1}, "num_outputs"),
    ],
)
def test_errors_are_user_fixable(kwargs: dict, fragment: str) -> None:
    args = {"name": "tiny-cnn", "input_shape": (8, 8, 1), "num_outputs": 10, "task": "classification"}
    args.update(kwargs)
    with pytest.raises(TfcError) as info:
        build_model(args.pop("name"), args.pop("input_shape"), args.pop("num_outputs"), args.pop("task"),
                    **args)
    assert fragment in info.value.what
    assert info.value.fix


def test_get_entry_and_spec_roundtrip() -> None:
    assert get_entry("ds-cnn").num_blocks == 4
    spec = ModelSpec.from_any({"name": "ds-cnn", "input_shape": [8, 8, 1], "num_outputs": 3,
                               "task": "classification", "width": 0.5})
    assert spec.to_dict()["input_shape"] == [8, 8, 1]
    assert spec.build().output_shape == (None, 3)
    with pytest.raises(TfcError):
        ModelSpec.from_any({"name": "ds-cnn"})


def test_models_command_lists_the_zoo() -> None:
    from tfcompress.cli import main

    result = CliRunner().invoke(main, ["models", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [m["name"] for m in data["models"]] == NAMES
    result = CliRunner().invoke(main, ["models", "--input-shape", "8x8x1", "--width", "0.25"])
    assert result.exit_code == 0 and "int8_kb" in result.output
    result = CliRunner().invoke(main, ["models", "--input-shape", "8x8"])
    assert result.exit_code == 2


def test_softargmax_head_is_an_expectation_over_cell_centres() -> None:
    from tfcompress.models.layers import coordinate_grid

    model = build_model("heatmap-cnn", (64, 64, 1), 4, "regression")
    dense = model.get_layer("regression")
    assert not dense.trainable and not dense.use_bias
    kernel = dense.get_weights()[0]
    grid = coordinate_grid(16, 16)
    np.testing.assert_array_equal(kernel[:256, :2], grid)
    np.testing.assert_array_equal(kernel[256:, 2:], grid)
    assert not kernel[:256, 2:].any() and not kernel[256:, :2].any()
    assert grid[17].tolist() == [1.5 / 16, 1.5 / 16]
    out = model(np.random.default_rng(0).random((3, 64, 64, 1), np.float32)).numpy()
    assert ((out > 0) & (out < 1)).all()
    # odd target counts fall back to the dense head
    assert build_model("heatmap-cnn", (64, 64, 1), 3, "regression").get_layer("regression").trainable


def test_defaults_name_real_models_and_datasets() -> None:
    from tfcompress.data import list_sources
    from tfcompress.train.defaults import DEFAULTS, get_defaults

    sources = {s["name"] for s in list_sources()}
    assert set(DEFAULTS) == {"eye-gaze", "gaze-zones", "digits", "detection"}
    for use_case, cfg in DEFAULTS.items():
        assert cfg["dataset"] in sources, use_case
        get_entry(cfg["model"])
        assert cfg["epochs"] > 0 and cfg["batch_size"] > 0 and cfg["learning_rate"] > 0
    assert get_defaults("digits") is not DEFAULTS["digits"]
    with pytest.raises(TfcError, match="unknown use case"):
        get_defaults("faces")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_heatmap_model_round_trips_through_modelio(tmp_path, suffix: str) -> None:
    from tfcompress.modelio import load_model, save_model

    model = build_model("heatmap-cnn", (32, 32, 1), 2, "regression", width=0.5)
    x = np.random.default_rng(1).random((2, 32, 32, 1), np.float32)
    loaded = load_model(save_model(model, tmp_path / f"m{suffix}"))
    assert not loaded.get_layer("regression").trainable
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-6)
