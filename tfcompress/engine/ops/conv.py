"""Lowering of CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and TRANSPOSE_CONV (int8 and int16x8,
per-channel weights)."""

from __future__ import annotations

import dataclasses

import numpy as np

from tfcompress.engine.ir import Graph, Op, Tensor
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.overlap import window_overlap
from tfcompress.engine.quant import activation_range, quantize_multiplier, same_padding, wrap_i32
from tfcompress.errors import TfcError


def _const(g: Graph, op: Op, pos: int, what: str) -> Tensor | None:
    if pos >= len(op.inputs) or op.inputs[pos] < 0:
        return None
    t = g.t(op.inputs[pos])
    if not t.is_const:
        raise TfcError(f"{op.name} '{g.t(op.outputs[0]).name}': the {what} '{t.name}' is not a constant",
                       "freeze the weights before converting (no runtime weights)")
    return t


def _check_int8(g: Graph, op: Op, weights: Tensor, x: Tensor | None = None) -> None:
    x, y = x or g.t(op.inputs[0]), g.t(op.outputs[0])
    int16x8 = x.dtype == "int16" and y.dtype == "int16" and op.name in INT16X8_OPS
    for t in ((weights,) if int16x8 else (x, y, weights)):
        if t.dtype != "int8":
            raise TfcError(f"{op.name} '{y.name}': tensor '{t.name}' is {t.dtype}, the reference kernel "
                           "needs int8", "convert with --mode int8 (full integer quantisation)")
    if any(z != 0 for z in weights.zero_points):
        raise TfcError(f"{op.name} '{y.name}': weights '{weights.name}' have a non-zero zero point",
                       "use symmetric int8 weights (the TFLite converter's default)")


#: ops with an int16-activation x int8-weight kernel
INT16X8_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV")


#: TFLite's TensorType INT32 (the ``quantized_bias_type`` option of a bias-less 16x8 op)
_INT32_BIAS_TYPE = 2


def _to16(lo: LoweredOp, g: Graph, bias: Tensor | None, prefix: str, kernel: str, struct: str) -> LoweredOp:
    """Turn an int8 lowering into its int16x8 variant: int64 bias, no folded offsets. CONV_2D and
    FULLY_CONNECTED with an int32 bias (or none and ``quantized_bias_type`` INT32) take TFLM's
    32-bit accumulator variant."""
    x, y = g.t(lo.inputs[0]), g.t(lo.outputs[0])
    if x.zero_point or y.zero_point:
        raise TfcError(f"{lo.op.name} '{y.name}': int16 activations need zero point 0", "re-convert 16x8")
    has_acc32 = lo.op.name in ("CONV_2D", "FULLY_CONNECTED")
    acc32 = (bias.dtype == "int32") if bias is not None else \
        has_acc32 and int(lo.op.options.get("quantized_bias_type", 0) or 0) == _INT32_BIAS_TYPE
    if acc32 and not has_acc32:
        raise TfcError(f"{lo.op.name} '{y.name}': int16x8 with an int32 bias is not run by TFLite Micro",
                       "convert with the default 16x8 settings (int64 bias)")
    if bias is not None and not acc32 and bias.dtype != "int64":
        raise TfcError(f"{lo.op.name} '{y.name}': int16x8 needs an int64 (or int32) bias (got {bias.dtype})",
                       "convert with the default 16x8 settings")
    amin, amax = activation_range(int(lo.op.options.get("fused_activation_function", 0)), y.scale, 0,
                                  -32768, 32767)
    lo.arrays = [a for a in lo.arrays if not a.name.endswith("_bias")]
    fields = {f"{prefix}.{k}": v for k, v in lo.fields.items() if k != "bias"}
    fields.update({f"{prefix}.act_min": amin, f"{prefix}.act_max": amax})
    fields["bias64"] = 0
    if bias is not None and acc32:
        b32 = ConstArray(f"op{lo.op.index}_bias", bias.data.astype(np.int32).reshape(-1))
        lo.arrays.append(b32)
        fields[f"{prefix}.bias"] = b32
    elif bias is not None:
        b64 = ConstArray(f"op{lo.op.index}_bias64", bias.data.astype(np.int64).reshape(-1))
        lo.arrays.append(b64)
        fields["bias64"] = b64
    fields["acc32"] = int(acc32)
    lo.fields, lo.kernel, lo.struct = fields, kernel, struct
    lo.in_ctypes, lo.out_ctype = ("int16_t",), "int16_t"
    return lo


def _multipliers(x: Tensor, w: Tensor, y: Tensor, channels: int) -> tuple[np.ndarray, np.ndarray]:
    scales = w.scales if len(w.scales) > 1 else [w.scale] * channels
    mult, shift = zip(*(quantize_multiplier(float(x.scale) * float(s) / float(y.scale)) for s in scales), strict=True)
    return np.array(mult, dtype=np.int32), np.array(shift, dtype=np.int32)


def _folded_bias(bias: Tensor | None, w2d: np.ndarray, in_zp: int) -> np.ndarray:
    b = np.zeros(w2d.shape[0], np.int64) if bias is None else bias.data.astype(np.int64).reshape(-1)
    return wrap_i32(b - in_zp * w2d.astype(np.int64).sum(axis=1))


def _conv_common(g: Graph, op: Op, depthwise: bool) -> LoweredOp:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    w = _const(g, op, 1, "filter")
    bias = _const(g, op, 2, "bias")
    _check_int8(g, op, w)
    if len(x.shape) != 4 or len(y.shape) != 4 or len(w.shape) != 4:
        raise TfcError(f"{op.name} '{y.name}' needs 4-D NHWC tensors", "re-export the model")
    o = op.options
    n, ih, iw, ic = x.shape
    _, oh, ow, oc = y.shape
    if depthwise:
        kh, kw = w.shape[1], w.shape[2]
        if w.shape[3] != oc or oc % ic:
            raise TfcError(f"DEPTHWISE_CONV_2D '{y.name}': filter {list(w.shape)} does not match", "re-export")
        w2d = w.data.reshape(kh * kw, oc).T
        weights = w.data.reshape(-1)
    else:
        kh, kw, fic = w.shape[1], w.shape[2], w.shape[3]
        if w.shape[0] != oc or fic <= 0 or ic % fic or oc % (ic // fic):
            raise TfcError(f"CONV_2D '{y.name}': filter {list(w.shape)} does not match input {ic} channels and "
                           f"output {oc} channels", "re-export the model")
        wdata = w.data
        if fic == 1 and ic > 1:  # one input channel per group: exactly a depthwise convolution
            depthwise = True
            wdata = np.ascontiguousarray(w.data.reshape(oc, kh, kw).transpose(1, 2, 0))
            w2d = wdata.reshape(kh * kw, oc).T
        else:
            if fic != ic:  # grouped: zero weights outside each filter's group (the sums are unchanged)
                per_group = oc // (ic // fic)
                full = np.zeros((oc, kh, kw, ic), np.int8)
                for c in range(oc):
                    g0 = c // per_group * fic
                    full[c, :, :, g0:g0 + fic] = w.data[c]
                wdata = full
            w2d = wdata.reshape(oc, -1)
        weights = wdata.reshape(-1)
    sh, sw = int(o.get("stride_h", 1)), int(o.get("stride_w", 1))
    dh, dw = int(o.get("dilation_h_factor", 1) or 1), int(o.get("dilation_w_factor", 1) or 1)
    pt = same_padding(ih, oh, sh, kh, dh)
    pl = same_padding(iw, ow, sw, kw, dw)
    mult, shift = _multipliers(x, w, y, oc)
    amin, amax = activation_range(int(o.get("fused_activation_function", 0)), y.scale, y.zero_point)
    k = f"op{op.index}"
    arrays = [ConstArray(f"{k}_w", weights.astype(np.int8)),
              ConstArray(f"{k}_bias", _folded_bias(bias, w2d, x.zero_point)),
              ConstArray(f"{k}_mult", mult), ConstArray(f"{k}_shift", shift)]
    fields = dict(batches=n, in_h=ih, in_w=iw, in_c=ic, out_h=oh, out_w=ow, out_c=oc, k_h=kh, k_w=kw,
                  stride_h=sh, stride_w=sw, dil_h=dh, dil_w=dw, pad_top=pt, pad_left=pl,
                  depth_mult=oc // ic if depthwise else 1, pad_value=x.zero_point, out_zp=y.zero_point,
                  act_min=amin, act_max=amax, weights=arrays[0], bias=arrays[1], mult=arrays[2],
                  shift=arrays[3])
    overlap = {}
    if n == 1:
        delta = window_overlap((ih, iw), ic, (oh, ow), oc, (kh, kw), (sh, sw), (dh, dw), (pt, pl))
        overlap[x.index] = min(delta, x.nbytes)
    if x.dtype == "int16":
        overlap = {}
        if n == 1:
            d = window_overlap((ih, iw), ic, (oh, ow), oc, (kh, kw), (sh, sw), (dh, dw), (pt, pl), 2)
            overlap[x.index] = min(d, x.nbytes)
        lo = LoweredOp(op, "tfc_conv2d_s8", "tfc_conv_params", fields, [x.index], [y.index], arrays, overlap)
        kernel16 = "tfc_depthwise_conv2d_s16" if depthwise else "tfc_conv2d_s16"
        return _to16(lo, g, bias, "c", kernel16, "tfc_conv16_params")
    kernel = "tfc_depthwise_conv2d_s8" if depthwise else "tfc_conv2d_s8"
    return LoweredOp(op, kernel, "tfc_conv_params", fields, [x.index], [y.index], arrays, overlap)


def lower_conv2d(g: Graph, op: Op) -> LoweredOp:
    """CONV_2D: OHWI weights, SAME/VALID padding, stride, dilation, fused activation. Grouped
    convolutions (filter input channels dividing the input channels, as TFLM's reference kernel
    allows) run on the depthwise kernel when each group has one input channel, else on the full
    kernel with the weights outside a filter's group zero (flash and MACs grow by the group count;
    ``compress_weights`` stores those zeros sparsely)."""
    return _conv_common(g, op, depthwise=False)


def lower_depthwise(g: Graph, op: Op) -> LoweredOp:
    """DEPTHWISE_CONV_2D: 1HWO weights, any depth multiplier and dilation."""
    return _conv_common(g, op, depthwise=True)


def lower_fully_connected(g: Graph, op: Op) -> LoweredOp:
    """FULLY_CONNECTED with [out, in] weights, per-tensor or per-channel, constant or run-time."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if not g.t(op.inputs[1]).is_const:
        return _fully_connected_runtime_weights(g, op)
    w = _const(g, op, 1, "weights")
    bias = _const(g, op, 2, "bias")
    _check_int8(g, op, w)
    if len(w.shape) != 2 or x.elements % w.shape[1]:
        raise TfcError(f"FULLY_CONNECTED '{y.name}': weights {list(w.shape)} do not match input "
                       f"{list(x.shape)}", "re-export the model")
    out_depth, in_depth = w.shape
    mult, shift = _multipliers(x, w, y, out_depth)
    per_channel = 1 if len(w.scales) > 1 else 0
    if not per_channel:
        mult, shift = mult[:1], shift[:1]
    amin, amax = activation_range(int(op.options.get("fused_activation_function", 0)), y.scale,
                                  y.zero_point)
    k = f"op{op.index}"
    arrays = [ConstArray(f"{k}_w", w.data.astype(np.int8).reshape(-1)),
              ConstArray(f"{k}_bias", _folded_bias(bias, w.data, x.zero_point)),
              ConstArray(f"{k}_mult", mult), ConstArray(f"{k}_shift", shift)]
    fields = dict(batches=x.elements // in_depth, in_depth=in_depth, out_depth=out_depth,
                  per_channel=per_channel, out_zp=y.zero_point, act_min=amin, act_max=amax,
                  weights=arrays[0], bias=arrays[1], mult=arrays[2], shift=arrays[3])
    lo = LoweredOp(op, "tfc_fully_connected_s8", "tfc_fc_params", fields, [x.index], [y.index], arrays)
    if x.dtype == "int16":
        return _to16(lo, g, bias, "f", "tfc_fully_connected_s16", "tfc_fc16_params")
    return lo


def tflm_padding(padding: int, stride: int, in_size: int, filt: int, dilation: int = 1) -> int | None:
    """Leading padding as TFLM's ComputePaddingHeightWidth computes it along one axis (SAME=0,
    VALID=1): the windowed output size of ``in_size`` first, then the padding that reaches it;
    None where TFLM's checked computation fails (it then uses 0 for both axes)."""
    eff = (filt - 1) * dilation + 1
    if padding not in (0, 1) or in_size < 0 or filt <= 0 or stride <= 0 or dilation <= 0:
        return None
    num = in_size + stride - (1 if padding == 0 else eff)
    out = abs(num) // stride * (1 if num >= 0 else -1)  # C++ division truncates toward zero
    if out < 0:
        return None
    total = max((out - 1) * stride + eff - in_size, 0)
    return total // 2


def lower_transpose_conv(g: Graph, op: Op) -> LoweredOp:
    """TRANSPOSE_CONV: output shape from a constant (the output tensor's static shape), OHWI
    per-channel weights, optional bias, SAME/VALID padding as TFLM computes it from the output size."""
    y = g.t(op.outputs[0])
    if len(op.inputs) < 3:
        raise TfcError(f"TRANSPOSE_CONV '{y.name}' has {len(op.inputs)} inputs (needs 3 or 4)",
                       "re-export the model; the .tflite looks corrupt")
    x = g.t(op.inputs[2])
    w = _const(g, op, 1, "filter")
    bias = _const(g, op, 3, "bias")
    _check_int8(g, op, w, x)
    if len(x.shape) != 4 or len(y.shape) != 4 or len(w.shape) != 4:
        raise TfcError(f"TRANSPOSE_CONV '{y.name}' needs 4-D NHWC tensors", "re-export the model")
    n, ih, iw, ic = x.shape
    on, oh, ow, oc = y.shape
    if w.shape[0] != oc or w.shape[3] != ic or on != n:
        raise TfcError(f"TRANSPOSE_CONV '{y.name}': filter {list(w.shape)} does not match input {list(x.shape)} "
                       f"and output {list(y.shape)}", "re-export the model")
    o = op.options
    kh, kw = w.shape[1], w.shape[2]
    sh, sw = int(o.get("stride_h", 1)), int(o.get("stride_w", 1))
    pad = int(o.get("padding", 0))
    pt, pl = tflm_padding(pad, sh, oh, kh), tflm_padding(pad, sw, ow, kw)
    if pt is None or pl is None:
        pt = pl = 0
    mult, shift = _multipliers(x, w, y, oc)
    amin, amax = activation_range(int(o.get("fused_activation_function", 0)), y.scale, y.zero_point)
    k = f"op{op.index}"
    b32 = np.zeros(oc, np.int32) if bias is None or x.dtype == "int16" else bias.data.astype(np.int32).reshape(-1)
    arrays = [ConstArray(f"{k}_w", w.data.astype(np.int8).reshape(-1)), ConstArray(f"{k}_bias", b32),
              ConstArray(f"{k}_mult", mult), ConstArray(f"{k}_shift", shift)]
    fields = dict(batches=n, in_h=ih, in_w=iw, in_c=ic, out_h=oh, out_w=ow, out_c=oc, k_h=kh, k_w=kw,
                  stride_h=sh, stride_w=sw, dil_h=1, dil_w=1, pad_top=pt, pad_left=pl, depth_mult=1,
                  pad_value=x.zero_point, out_zp=y.zero_point, act_min=amin, act_max=amax,
                  weights=arrays[0], bias=arrays[1], mult=arrays[2], shift=arrays[3])
    lo = LoweredOp(op, "tfc_transpose_conv_s8", "tfc_conv_params", fields, [x.index], [y.index], arrays)
    if x.dtype == "int16":
        if bias is not None and bias.dtype not in ("int16", "int64"):
            raise TfcError(f"TRANSPOSE_CONV '{y.name}': int16x8 needs an int64 (or int16) bias, got {bias.dtype}",
                           "convert with the default 16x8 settings")
        b64 = None if bias is None else dataclasses.replace(bias, dtype="int64")
        return _to16(lo, g, b64, "c", "tfc_transpose_conv_s16", "tfc_conv16_params")
    if bias is not None and bias.dtype != "int32":
        raise TfcError(f"TRANSPOSE_CONV '{y.name}': int8 needs an int32 bias, got {bias.dtype}",
                       "convert with --mode int8 (full integer quantisation)")
    return lo


def _fully_connected_runtime_weights(g: Graph, op: Op) -> LoweredOp:
    """FULLY_CONNECTED whose weights are computed at run time (TFLM reads any int8 tensor)."""
    x, w, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    bias = _const(g, op, 2, "bias")
    if w.dtype != "int8" or x.dtype not in ("int8", "int16") or y.dtype != x.dtype:
        raise TfcError(f"FULLY_CONNECTED '{y.name}': {x.dtype} input, {w.dtype} run-time weights, {y.dtype} output; "
                       "TFLM multiplies int8 or int16 inputs by int8 weights", "convert with --mode int8")
    if w.per_channel or len(w.shape) != 2 or x.elements % w.shape[1]:
        raise TfcError(f"FULLY_CONNECTED '{y.name}': run-time weights {list(w.shape)} must be a per-tensor "
                       f"2-D int8 tensor matching input {list(x.shape)}", "re-export the model")
    out_depth, in_depth = w.shape
    mult, shift = quantize_multiplier(float(x.scale) * float(w.scale) / float(y.scale))
    wide = x.dtype == "int16"
    qmin, qmax = (-32768, 32767) if wide else (-128, 127)
    amin, amax = activation_range(int(op.options.get("fused_activation_function", 0)), y.scale, y.zero_point,
                                  qmin, qmax)
    k = f"op{op.index}"
    arrays = []
    fields = dict(batches=x.elements // in_depth, in_depth=in_depth, out_depth=out_depth, in_zp=x.zero_point,
                  w_zp=w.zero_point, out_zp=y.zero_point, act_min=amin, act_max=amax, mult=mult, shift=shift,
                  bias=0, bias64=0)
    if bias is not None:
        want = "int64" if wide else "int32"
        if bias.dtype != want:
            raise TfcError(f"FULLY_CONNECTED '{y.name}': bias is {bias.dtype}, expected {want}", "re-export the model")
        arrays.append(ConstArray(f"{k}_bias", bias.data.astype(np.int64 if wide else np.int32).reshape(-1)))
        fields["bias64" if wide else "bias"] = arrays[0]
    ct = "int16_t" if wide else "int8_t"
    kernel = "tfc_fully_connected_rw_s16" if wide else "tfc_fully_connected_rw_s8"
    return LoweredOp(op, kernel, "tfc_fc_rw_params", fields, [x.index, w.index], [y.index], arrays,
                     in_ctypes=(ct, "int8_t"), out_ctype=ct)
