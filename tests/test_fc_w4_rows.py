"""Small 4-bit FULLY_CONNECTED layers on the row kernel (``tfc_fully_connected_s8_cb_w4``,
engine/optimized/fc_compressed.py): odd input and output counts (index words with padded tails),
one codebook per layer (per-tensor quantisation) and several (per channel), bit-exact with TFLM on
the host and, at -Os on the Cortex-M4, in the firmware."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import instructions_benchmark
from helpers.engine_checks import assert_matches_tflm
from helpers.keras_models import batch_int8_tflite as _int8

WIDTHS = (13, 24, 7, 9)  # inputs 37, 13, 24, 7: tails 5, 5, 0, 7 (24: whole index words only)


def rows_tflite(per_tensor: bool, books: int, seed: int = 11) -> bytes:
    """37 inputs through Dense layers (WIDTHS) whose weights take 16 values per channel (``books``
    different sets), batch 2."""
    from tfcompress.tfenv import keras

    K = keras()
    rng = np.random.default_rng(seed)
    levels = np.concatenate([-np.linspace(0.3, 1.0, 8), np.linspace(0.3, 1.0, 8)])  # no zeros: not sparse

    def init(shape, dtype=None):  # books value sets: channel c's levels to the power 1 + (c % books) / 2
        w = np.stack([np.sign(v) * np.abs(v) ** (1 + 0.5 * (c % books))
                      for c, v in enumerate(rng.choice(levels, size=shape).T)], axis=1)
        w[0] = 1.0
        if not per_tensor:  # channel scales differ (the int8 value sets do not)
            w = w * (1 + 0.25 * (np.arange(shape[1]) % 4))
        return K.backend.constant(w, dtype=dtype)

    inp = K.Input((37,), batch_size=2)
    x = inp
    for n in WIDTHS:
        x = K.layers.Dense(n, activation="relu" if n != 9 else None, kernel_initializer=init,
                           bias_initializer=K.initializers.RandomUniform(-0.5, 0.5, seed=seed))(x)
    return _int8(K.Model(inp, x), 2, rng, per_tensor)


CASES = {"per-layer-book": (True, 1), "per-channel-books": (False, 3)}


@pytest.fixture(scope="module")
def rows_models() -> dict[str, bytes]:
    return {name: rows_tflite(*case) for name, case in CASES.items()}


def test_row_words_layout() -> None:
    """Nibble k of word j of a row is input 8 j + k; rows padded to whole words with index 0."""
    from tfcompress.engine.optimized.fc_compressed import row_words

    idx = np.random.default_rng(1).integers(0, 16, size=(3, 13))
    words = row_words(idx).view(np.uint32).reshape(3, 2)
    for r in range(3):
        for i in range(16):
            assert (int(words[r, i // 8]) >> (4 * (i % 8))) & 15 == (idx[r, i] if i < 13 else 0)


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.usefixtures("smallest_storage")
def test_fc_w4_row_kernel_bit_exact(rows_models, name: str) -> None:
    """Every 4-bit layer takes the row kernel (per-channel: several codebooks; per-tensor: one), its
    rq entries carry bias and codebook, and the outputs match TFLM."""
    from tfcompress.engine.compiler import compile_tflite
    from tfcompress.engine.optimized import fc_compressed

    tflite = rows_models[name]
    model = compile_tflite(tflite, kernels="optimized", compress_weights=True)
    rows = [lo for lo in model.lowered if lo.kernel == fc_compressed.W4_ROW]
    w4 = [lo.kernel for lo in model.lowered if lo.kernel.endswith("_w4")]
    assert len(rows) == len(w4) >= 3, [lo.kernel for lo in model.lowered]  # the smallest layer may be sparse
    n_books = [lo.fields["codebook"].data.size // 16 for lo in rows]
    per_channel = not CASES[name][0]
    assert (max(n_books) > 1) == per_channel, n_books
    assert any(lo.fields["per_channel"] for lo in rows) == per_channel
    for lo in rows:  # an rq entry per row carries the bias and the codebook's offset (bits 8..)
        rq = lo.fields["rq"].data
        assert not lo.fields["bias"] and not lo.fields["cb_index"] and rq.size == 4 + 4 * lo.fields["out_depth"]
        assert set((rq[5::4] >> 8).tolist()) == set(range(0, 16 * (lo.fields["codebook"].data.size // 16), 16))
    assert_matches_tflm(model, tflite, samples=4)


@pytest.mark.emulated
@pytest.mark.usefixtures("smallest_storage")
def test_fc_w4_row_kernel_on_qemu(rows_models, tmp_path) -> None:
    """The row kernel at -Os on the Cortex-M4 (several codebooks): 0 mismatches."""
    from tfcompress.boards import load_board

    path = tmp_path / "rows.tflite"
    path.write_bytes(rows_models["per-channel-books"])
    r = instructions_benchmark().measure("rows", "optimized", load_board("netduinoplus2"), opt="-Os", runs=1,
                                         layers=False, keep=None, path=path, compress_weights=True)
    assert r["mismatches"] == 0
