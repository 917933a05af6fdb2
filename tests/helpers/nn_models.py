"""Hand-written convolution, matmul and sequence models for the engine tests (the builders live with
the corpus entries that use them, tests/corpus/families/handmade_nn.py)."""

from __future__ import annotations

from tests.corpus.families.handmade import FlatModel
from tests.corpus.families.handmade_nn import (
    batch_matmul,
    fully_connected_runtime_weights,
    int4_weights,
    int16_int32_bias,
    lstm,
    svdf,
    transpose_conv,
)

__all__ = ["FlatModel", "batch_matmul", "fully_connected_runtime_weights", "int4_weights", "int16_int32_bias",
           "lstm", "svdf", "transpose_conv"]
