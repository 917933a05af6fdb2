"""Lowering of RESIZE_NEAREST_NEIGHBOR (any element type: a gather of pixels) and RESIZE_BILINEAR
(int8, int16: TFLM's 10-bit fixed-point interpolation).

The source rows and columns (and, for bilinear, the 10-bit weights) depend only on the shapes and
options, so the host computes them exactly as TFLM does — in float32 for nearest neighbour, in int32
for bilinear — into two small tables in flash; the device only gathers and interpolates.
"""

from __future__ import annotations

import math

import numpy as np

from tfcompress.engine.ir import Graph, Op, Tensor, element_size
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.ops.common import out_name
from tfcompress.errors import TfcError

#: largest input/output height or width (the tables hold int16 indices)
MAX_SIDE = 32767


def _shapes(g: Graph, op: Op) -> tuple[Tensor, Tensor, int, int, int, int, int, int]:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    name = out_name(g, op)
    if len(x.shape) != 4 or len(y.shape) != 4:
        raise TfcError(f"{op.name} '{name}' needs a 4-D NHWC input", "re-export the model")
    size = g.t(op.inputs[1])
    if not size.is_const:
        raise TfcError(f"{op.name} '{name}': the size tensor must be constant (TFLite Micro requires it too)",
                       "export the model with a fixed output size")
    n, ih, iw, c = (int(d) for d in x.shape)
    oh, ow = (int(v) for v in size.data.reshape(-1)[:2])
    if tuple(y.shape) != (n, oh, ow, c):
        raise TfcError(f"{op.name} '{name}': output shape {list(y.shape)} does not match size [{oh}, {ow}]",
                       "re-export the model")
    if min(ih, iw, oh, ow) < 1 or max(ih, iw, oh, ow) > MAX_SIDE:
        raise TfcError(f"{op.name} '{name}': sizes {ih}x{iw} -> {oh}x{ow} are out of range (1..{MAX_SIDE})",
                       "re-export the model")
    if x.dtype != y.dtype:
        raise TfcError(f"{op.name} '{name}': {x.dtype} input, {y.dtype} output", "re-export the model")
    return x, y, n, ih, iw, c, oh, ow


def nearest_indices(in_size: int, out_size: int, align_corners: bool, half_pixel: bool) -> np.ndarray:
    """TFLM's GetNearestNeighbor for every output index (float32 arithmetic, as on the device)."""
    f32 = np.float32
    if align_corners and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    offset = f32(0.5) if half_pixel else f32(0.0)
    out = np.empty(out_size, np.int16)
    for i in range(out_size):
        v = float((f32(i) + offset) * scale)  # float32 arithmetic; the value is exact as a double
        if align_corners:  # TfLiteRound: half away from zero (exact in double, unlike v + 0.5f)
            r = int(math.floor(abs(v) + 0.5)) * (1 if v >= 0 else -1)
        else:
            r = math.floor(v)
        r = min(r, in_size - 1)
        if half_pixel:
            r = max(0, r)
        out[i] = r
    return out


def lower_resize_nearest(g: Graph, op: Op) -> LoweredOp:
    """RESIZE_NEAREST_NEIGHBOR: each output pixel copies the input pixel TFLM picks (align_corners
    rounds, otherwise floor; half_pixel_centers offsets by 0.5), element bytes as they are."""
    x, y, n, ih, iw, c, oh, ow = _shapes(g, op)
    if x.dtype in ("resource", "bool") or x.dtype.startswith("float") and x.dtype != "float32":
        raise TfcError(f"RESIZE_NEAREST_NEIGHBOR '{y.name}': {x.dtype} tensors are not supported",
                       "convert with int8 or int16x8 quantisation")
    o = op.options
    ac, hp = bool(o.get("align_corners", False)), bool(o.get("half_pixel_centers", False))
    k = op.index
    ys = ConstArray(f"op{k}_rows", nearest_indices(ih, oh, ac, hp))
    xs = ConstArray(f"op{k}_cols", nearest_indices(iw, ow, ac, hp))
    fields = dict(batches=n, in_h=ih, in_w=iw, channels=c * element_size(x.dtype), out_h=oh, out_w=ow,
                  rows=ys, cols=xs)
    return LoweredOp(op, "tfc_resize_nearest", "tfc_resize_params", fields, [x.index], [y.index],
                     arrays=[ys, xs], in_ctypes=("uint8_t",), out_ctype="uint8_t")


def _scale10(in_size: int, out_size: int, align_corners: bool) -> int:
    if align_corners and out_size > 1:
        return ((1 << 10) * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
    return ((1 << 10) * in_size + out_size // 2) // out_size


def _tdiv(a: int, b: int) -> int:
    """C integer division (truncation towards zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def bilinear_table(in_size: int, out_size: int, align_corners: bool, half_pixel: bool) -> np.ndarray:
    """(lower index, upper index, 10-bit weight of the upper one) per output index, as TFLM's
    ComputeInterpolationValuesInteger computes them (the weight may be negative near the border
    with half_pixel_centers; the lower index is clamped at 0, the upper one at in_size - 1)."""
    s10 = _scale10(in_size, out_size, align_corners)
    rows = []
    for i in range(out_size):
        scaled = i * s10 + _tdiv(s10, 2) - (1 << 9) if half_pixel else i * s10
        lo = max(_tdiv(scaled, 1 << 10), 0)
        hi = min(_tdiv(scaled + (1 << 10) - 1, 1 << 10), in_size - 1)
        rows.append((lo, hi, scaled - (1 << 10) * lo))
    return np.array(rows, np.int16).reshape(-1)


def lower_resize_bilinear(g: Graph, op: Op) -> LoweredOp:
    """RESIZE_BILINEAR int8 / int16: TFLM's ResizeBilinearInteger (10-bit weights, the four products
    summed in 20 fractional bits, rounded half away from zero; int16 follows TFLite's reference
    kernel, the same arithmetic)."""
    x, y, n, ih, iw, c, oh, ow = _shapes(g, op)
    if x.dtype not in ("int8", "int16"):
        raise TfcError(f"RESIZE_BILINEAR '{y.name}': {x.dtype} tensors are not supported (int8 or int16)",
                       "convert with int8 or int16x8 quantisation")
    o = op.options
    ac, hp = bool(o.get("align_corners", False)), bool(o.get("half_pixel_centers", False))
    if ac and hp:
        raise TfcError(f"RESIZE_BILINEAR '{y.name}': align_corners and half_pixel_centers are both set "
                       "(TFLite Micro rejects this)", "re-export with one of them")
    ty, tx = bilinear_table(ih, oh, ac, hp), bilinear_table(iw, ow, ac, hp)
    for t, size in ((ty, ih), (tx, iw)):
        idx = t.reshape(-1, 3)[:, :2]
        if idx.min() < 0 or idx.max() >= size:
            raise TfcError(f"RESIZE_BILINEAR '{y.name}': the resize {ih}x{iw} -> {oh}x{ow} reads outside its input",
                           "re-export the model with other sizes")
    k = op.index
    ys, xs = ConstArray(f"op{k}_rows", ty), ConstArray(f"op{k}_cols", tx)
    fields = dict(batches=n, in_h=ih, in_w=iw, channels=c, out_h=oh, out_w=ow, rows=ys, cols=xs)
    is16 = x.dtype == "int16"
    ctype = "int16_t" if is16 else "int8_t"
    return LoweredOp(op, "tfc_resize_bilinear_s16" if is16 else "tfc_resize_bilinear_s8", "tfc_resize_params",
                     fields, [x.index], [y.index], arrays=[ys, xs], in_ctypes=(ctype,), out_ctype=ctype)
