"""Round-two layouts of the optimised kernels and the speed/size preference that picks them.

Host builds run the portable C fallbacks of the same algorithms and data layouts (pixel triples,
row-padded conv weights, int16 FULLY_CONNECTED weights); the DSP assembly is checked on the
emulated boards by benchmarks/instructions.py (0 mismatches on the MLPerf Tiny models).
"""

from __future__ import annotations

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from importlib import resources
from types import SimpleNamespace

import pytest
from helpers.engine_checks import assert_matches_tflm
from helpers.keras_models import keras_tflite

from tfcompress.boards import load_board, with_optimize
from tfcompress.boards.loader import board_from_dict
from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.kernel_limits import RQ_PAIR, RQ_ROWS, RQ_TRIPLE, RQ_WIDE
from tfcompress.errors import TfcError
from tfcompress.project.generate import engine_key
from tfcompress.recipe import parse_recipe, template_text


def model_layouts(L, x):
    """A 3-channel first conv (row-padded weights, pixel triples, an odd pixel count), a K = 8
    pointwise conv (pair codes for triples), a 6-channel conv (rows 18 -> 20), FULLY_CONNECTED layers
    with rows and inputs in fours (int16 weights under speed)."""
    x = L.Conv2D(8, 3, padding="same", activation="relu6")(x)                 # seg 9 -> 12, 143 pixels
    x = L.Conv2D(8, 1, activation="relu")(x)                                  # K = 8
    x = L.Conv2D(6, 3)(x)                                                     # channels in words
    x = L.Conv2D(8, (2, 3), strides=2, padding="same", activation="relu")(x)  # in_c 6: rows 18 -> 20
    x = L.AveragePooling2D(x.shape[1:3])(x)
    x = L.Flatten()(x)
    x = L.Dense(12, activation="relu")(x)
    return L.Dense(4)(x)


@pytest.fixture(scope="module")
def layouts_tflite() -> bytes:
    return keras_tflite(model_layouts, (13, 11, 3), seed=5)


def _flags(model) -> list[tuple[str, int]]:
    return [(lo.kernel, int(lo.fields["rq"].data[0])) for lo in model.lowered if "rq" in lo.fields]


@pytest.mark.parametrize("optimize", ["balanced", "speed"])
def test_layouts_bit_exact(layouts_tflite, optimize: str, monkeypatch) -> None:
    from tfcompress.engine.optimized import first

    monkeypatch.setattr(first, "IN_CHANNELS", ())  # the im2col layouts (few-channel kernel: test_conv_first.py)
    model = compile_tflite(layouts_tflite, kernels="optimized", optimize=optimize)
    flags = _flags(model)
    assert flags[0][1] & RQ_ROWS                                # first conv: rows padded to words
    if optimize == "speed":  # triples wherever they apply (balanced: where they cost no RAM)
        assert flags[0][1] & RQ_TRIPLE
        assert flags[1][1] & RQ_PAIR and flags[1][1] & RQ_TRIPLE  # K = 8: pair codes for triples
    assert not flags[2][1] & RQ_ROWS                            # channels in words: no padding
    wide = [k for k, f in flags if f & RQ_WIDE]
    assert wide == (["tfc_fully_connected_s8_wide"] * 2 if optimize == "speed" else [])
    assert model.optimize == optimize
    assert_matches_tflm(model, layouts_tflite, samples=4, seed=3)


def test_preference_from_board_recipe_and_identity() -> None:
    board = load_board("mps2-an500")
    assert board.optimize == "balanced"
    assert with_optimize(board, "speed").optimize == "speed" and with_optimize(board, None) is board
    with pytest.raises(TfcError, match="optimize"):
        with_optimize(board, "fastest")
    raw = tomllib.loads((resources.files("tfcompress.boards") / "mps2-an500.toml").read_text())
    assert board_from_dict({**raw, "optimize": "size"}).optimize == "size"
    with pytest.raises(TfcError, match="board key 'optimize'"):
        board_from_dict({**raw, "optimize": "quick"})
    data = tomllib.loads(template_text("digits"))
    data["board"] = {**data.get("board", {}), "optimize": "speed"}
    assert parse_recipe(data).board.optimize == "speed"
    data["board"]["optimize"] = "turbo"
    with pytest.raises(TfcError, match="optimize"):
        parse_recipe(data)
    keys = {opt: engine_key(SimpleNamespace(kernels="optimized", compress_weights=False, optimize=opt))
            for opt in ("balanced", "speed", "size")}
    assert keys["balanced"] == "optimized" and len(set(keys.values())) == 3  # a changed setting regenerates


def _tight(L, x):
    """A 3x3 conv with a 432-position window on a 5x7 map: its im2col scratch dwarfs the tensors."""
    x = L.Conv2D(48, 3, padding="same", activation="relu")(x)
    x = L.Conv2D(20, 3, padding="same")(x)
    x = L.Flatten()(x)
    return L.Dense(3)(x)


def _roomy(L, x):
    """A banded residual block (8 channels, 15x13, odd width) where im2col windows cost under 10%."""
    x = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    y = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    y = L.Conv2D(8, 3, padding="same")(y)
    x = L.Add()([x, y])
    x = L.Conv2D(4, 3, strides=2, padding="same")(x)
    x = L.Flatten()(x)
    return L.Dense(3)(x)


def _kinds(model) -> list[str]:
    return [x.kernel for lo in model.lowered for x in (lo, *lo.parts) if x.kernel.startswith("tfc_conv2d")]


@pytest.mark.parametrize("name", ["tight", "roomy"])
def test_balanced_spends_ram_slack_on_faster_layouts(monkeypatch, name: str) -> None:
    """`balanced` takes the fastest candidate layouts (optimize.LAYOUTS) whose peak RAM is within 10%
    of the lowest (`size`): im2col windows in the roomy block (a 9.5% trade; triples everywhere would
    be 17%), direct windows kept where im2col would cost 80%; bit-exact; no slack: `size`'s layouts."""
    from tfcompress.engine import weight_policy

    build, shape = {"tight": (_tight, (5, 7, 12)), "roomy": (_roomy, (15, 13, 4))}[name]
    tflite = keras_tflite(build, shape, seed=3)
    size, bal, speed = (compile_tflite(tflite, kernels="optimized", optimize=o) for o in ("size", "balanced", "speed"))
    assert any(k.endswith("_direct") for k in _kinds(size)) and not any(k.endswith("_direct") for k in _kinds(speed))
    assert size.ram_bytes <= bal.ram_bytes <= 1.1 * size.ram_bytes < speed.ram_bytes
    assert any(k.endswith("_direct") for k in _kinds(bal)) == (name == "tight")
    assert (bal.ram_bytes > size.ram_bytes) == (name == "roomy")
    assert_matches_tflm(bal, tflite, samples=3, seed=4)
    monkeypatch.setitem(weight_policy.PREFERENCES, "balanced", weight_policy.Preference({}, 0.0))
    none = compile_tflite(tflite, kernels="optimized")
    assert none.ram_bytes == size.ram_bytes and _kinds(none) == _kinds(size)
