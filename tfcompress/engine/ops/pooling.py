"""Lowering of AVERAGE_POOL_2D and MAX_POOL_2D (int8, int16)."""

from __future__ import annotations

from tfcompress.engine.ir import Graph, Op
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.ops.common import require_int8
from tfcompress.engine.overlap import window_overlap
from tfcompress.engine.quant import activation_range, same_padding
from tfcompress.errors import TfcError


def _pool(g: Graph, op: Op, kernel: str) -> LoweredOp:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    is16 = x.dtype == y.dtype == "int16"
    if not is16:
        require_int8(g, op, [x, y])
    if len(x.shape) != 4:
        raise TfcError(f"{op.name} '{y.name}' needs a 4-D NHWC input", "re-export the model")
    if abs(x.scale - y.scale) > 1e-6 or x.zero_point != y.zero_point:  # TFLM's PoolingPrepare check
        raise TfcError(f"{op.name} '{y.name}': input and output quantisation differ",
                       "re-convert the model with the TFLite converter")
    o = op.options
    n, ih, iw, c = x.shape
    _, oh, ow, _ = y.shape
    kh, kw = int(o["filter_height"]), int(o["filter_width"])
    sh, sw = int(o.get("stride_h", 1)), int(o.get("stride_w", 1))
    pt, pl = same_padding(ih, oh, sh, kh, 1), same_padding(iw, ow, sw, kw, 1)
    amin, amax = activation_range(int(o.get("fused_activation_function", 0)), y.scale, y.zero_point,
                                  *((-32768, 32767) if is16 else (-128, 127)))
    fields = dict(batches=n, in_h=ih, in_w=iw, channels=c, out_h=oh, out_w=ow, k_h=kh, k_w=kw,
                  stride_h=sh, stride_w=sw, pad_top=pt, pad_left=pl, act_min=amin, act_max=amax)
    overlap = {}
    if n == 1:
        esize = 2 if is16 else 1
        d = window_overlap((ih, iw), c, (oh, ow), c, (kh, kw), (sh, sw), (1, 1), (pt, pl), elem_bytes=esize)
        overlap[x.index] = min(d, x.nbytes)
    if is16:
        return LoweredOp(op, kernel.replace("_s8", "_s16"), "tfc_pool_params", fields, [x.index], [y.index],
                         overlap=overlap, in_ctypes=("int16_t",), out_ctype="int16_t")
    return LoweredOp(op, kernel, "tfc_pool_params", fields, [x.index], [y.index], overlap=overlap)


def lower_avg_pool(g: Graph, op: Op) -> LoweredOp:
    """AVERAGE_POOL_2D (padding excluded from the average, rounding half away from zero; int8, int16)."""
    return _pool(g, op, "tfc_avg_pool2d_s8")


def lower_max_pool(g: Graph, op: Op) -> LoweredOp:
    """MAX_POOL_2D (int8, int16)."""
    return _pool(g, op, "tfc_max_pool2d_s8")
