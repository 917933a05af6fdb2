"""Which variants of the optimised kernels a model links: decided on the host, per layer.

Several optimised kernels carry variants of their inner code for layer shapes or ranges the host
already knows: the clamped and the full-range assembly ADD; the first-layer conv's straight 3x3x3
loop, unrolled loop, row loops and window widenings; the im2col conv's paths and its pixel triples
with and without a clamp; the FULLY_CONNECTED copies per requantisation layout and input form; the
planar depthwise strip routines per row width and its band fills per row shape; the decoding
convs' paths per storage (pair codes or pixel pairs, 2:4 routines). The C used to
choose among them at run time, so every model linked all of them.
Here each variant is one row of :data:`SWITCHES`: the kernels that contain it and whether a layer
of theirs runs it. The generator renders the rows into ``engine/optimized/tfc_variants.h`` (one
``#define TFC_LINK_<name> 0/1`` per row, :func:`render_header`); a variant whose macro is 0 is
compiled out, so the linker never sees it. Sources compiled without the header
(``benchmarks/kernel_code.py``) get every variant (``tfc_dsp.h``: default 1).

Contract: a row must be 1 for every model with a layer that would run the variant. Rows whose
``fallback`` is True are merely speed: when 0, a layer the row missed still gets exact results from
another path that is linked (slower); the others (no fallback) must be exact predicates of the C test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tfcompress.engine.kernel_limits import (
    CONV_MAX_K,
    DEC_LUT_MIN_K,
    RQ_FAST,
    RQ_PAIR,
    RQ_ROWS,
    RQ_SHARED,
    RQ_TRIPLE,
)
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.optimized import decoded, first

#: the generated header, relative to the engine directory of a generated project
HEADER = "optimized/tfc_variants.h"

#: kernels that run the tabulated ADD's assembly (tfc_add_opt.h tfc_add_dense_fast / tfc_add4*_asm)
ADD_KERNELS = ("tfc_add_s8", "tfc_conv2d_add_s8", "tfc_conv2d_add_s8_direct", "tfc_conv2d_add_s8_dec_w4",
               "tfc_conv2d_add_s8_dec_sp", "tfc_conv2d_add_s8_dec_2of4")
#: the 2:4 decoding convs (conv2d_s8_dec_opt.c run_24)
DEC24_KERNELS = ("tfc_conv2d_s8_dec_2of4", "tfc_conv2d_add_s8_dec_2of4")
#: the 4-bit and the sparse decoding convs (conv2d_s8_dec_opt.c dec_run)
DECW4_KERNELS = ("tfc_conv2d_s8_dec_w4", "tfc_conv2d_add_s8_dec_w4")
DECSP_KERNELS = ("tfc_conv2d_s8_dec_sp", "tfc_conv2d_add_s8_dec_sp")
#: the first-layer kernels (conv2d_s8_first_opt.c first_run)
FIRST_KERNELS = (first.KERNEL, *first.COMPRESSED.values())
#: the FULLY_CONNECTED kernel whose copies are switched (fully_connected_s8_opt.c)
FC_KERNELS = ("tfc_fully_connected_s8",)
#: the kernels of conv2d_s8_opt.c (im2col windows; pixel triples at -O2)
CONV_KERNELS = ("tfc_conv2d_s8", "tfc_conv2d_add_s8")
#: the planar depthwise kernels (depthwise_conv2d_s8_opt.c depthwise_planar)
PLANAR_KERNELS = ("tfc_depthwise_conv2d_s8_planar", "tfc_depthwise_conv2d_s8_planar_w4",
                  "tfc_depthwise_conv2d_s8_planar_sp")
#: steps of the straight window loop (conv2d_s8_first_opt.c FIRST_UNROLL at -O2: a 3x3x3 window)
FIRST_STRAIGHT = 14


@dataclass(frozen=True)
class Layer:
    """What a switch sees of one layer: its lowered op, and whether its scratch is in the arena
    (the generator passes that address in the parameter block's ``scratch``; else NULL)."""

    lo: LoweredOp
    arena_scratch: bool


@dataclass(frozen=True)
class Switch:
    """One variant: ``TFC_LINK_<name>`` is 1 when a layer of one of ``kernels`` runs it (``runs``);
    ``fallback``: with the macro 0 such a layer would still be exact (on a slower linked path)."""

    name: str
    doc: str
    kernels: tuple[str, ...]
    runs: Callable[[Layer], bool]
    fallback: bool


def _add_blocks(lo: LoweredOp) -> list[dict]:
    """The ADD parameter blocks of an op running the tabulated ADD: its own (ADD) or its fused ADD's."""
    blocks = [f for s, _n, f in lo.extra_structs if s == "tfc_binary_params"]
    return ([lo.fields] if lo.struct == "tfc_binary_params" else []) + blocks


def _clamps(f: dict) -> bool:
    """tfc_out_stage_of's clamp: an activation range narrower than int8."""
    return int(f["act_min"]) > -128 or int(f["act_max"]) < 127


def _add_clamped(x: Layer) -> bool:
    return any(_clamps(f) for f in _add_blocks(x.lo))


def _add_full(x: Layer) -> bool:
    return any(not _clamps(f) for f in _add_blocks(x.lo))


def _first_geometry(x: Layer) -> tuple[int, int, bool, int]:
    """(k_h, nl, paired, steps) of a first-layer conv (conv2d_s8_first_opt.c first_run)."""
    f = x.lo.fields
    seg = int(f["k_w"]) * int(f["in_c"])
    return int(f["k_h"]), (seg + 3) // 4, seg % 4 == 1, first.steps(f)


def _widen(x: Layer) -> str:
    """The window widening pick_widen takes at -O2."""
    k_h, nl, paired, _ = _first_geometry(x)
    if nl == 3 and paired:
        return "333" if k_h == 3 else "3p"
    return "1" if nl == 1 and not paired else "any"


def _rq_flags(lo: LoweredOp) -> int:
    rq = lo.fields.get("rq")
    return int(rq.data[0]) if isinstance(rq, ConstArray) else 0


def _dec24_straight(x: Layer) -> bool:
    """run_24's chans24s_asm: at most eight decoded groups (K <= 32), fast requantisation, no clamp."""
    f = x.lo.fields
    k = int(f["k_h"]) * int(f["k_w"]) * int(f["in_c"])
    return k <= 32 and bool(_rq_flags(x.lo) & RQ_FAST) and not _clamps(f)


def _dec_pc(x: Layer) -> bool:
    """dec_run sends the layer to run_pc: pair-code blocks (else the pixel pairs of dec_pairs)."""
    return bool(_rq_flags(x.lo) & RQ_PAIR)


def _pointwise(x: Layer) -> bool:
    """dec_run's pointwise layers: 1x1 windows, stride 1, no padding, channels in words."""
    f = {k: int(x.lo.fields[k]) for k in ("k_h", "k_w", "stride_h", "stride_w", "pad_top", "pad_left", "in_c")}
    return (f["k_h"] == f["k_w"] == f["stride_h"] == f["stride_w"] == 1 and f["pad_top"] == f["pad_left"] == 0
            and f["in_c"] % 4 == 0)


def _dec_lut(x: Layer) -> bool:
    """decode_w4's pair table: pair codes of at least DEC_LUT_MIN_K padded window positions."""
    f = x.lo.fields
    return _dec_pc(x) and (int(f["k_h"]) * int(f["k_w"]) * int(f["in_c"]) + 3) & ~3 >= DEC_LUT_MIN_K


def _padded(x: Layer) -> bool:
    """Some window of the layer reaches into the padding (top, left, bottom or right)."""
    f = {k: int(x.lo.fields[k]) for k in ("out_h", "out_w", "in_h", "in_w", "k_h", "k_w", "stride_h", "stride_w",
                                          "dil_h", "dil_w", "pad_top", "pad_left")}
    reach_h = (f["out_h"] - 1) * f["stride_h"] + (f["k_h"] - 1) * f["dil_h"] + 1 - f["pad_top"]
    reach_w = (f["out_w"] - 1) * f["stride_w"] + (f["k_w"] - 1) * f["dil_w"] + 1 - f["pad_left"]
    return f["pad_top"] > 0 or f["pad_left"] > 0 or reach_h > f["in_h"] or reach_w > f["in_w"]


def _dec_pairs_asm(x: Layer) -> bool:
    """dec_pairs' assembly: layers off run_pc with fast requantisation and at least two channels."""
    return not _dec_pc(x) and bool(_rq_flags(x.lo) & RQ_FAST) and int(x.lo.fields["out_c"]) >= 2


def _fc_hot(x: Layer) -> bool:
    """tfc_fully_connected_s8's hot path: pair codes, fast requantisation, inputs and rows in fours."""
    f, flags = x.lo.fields, _rq_flags(x.lo)
    n_in, n_out = int(f["in_depth"]), int(f["out_depth"])
    return bool(flags & RQ_PAIR and flags & RQ_FAST) and n_in > 0 and n_in % 4 == 0 and n_out % 4 == 0


def _fc_shared(x: Layer) -> bool:
    return _fc_hot(x) and bool(_rq_flags(x.lo) & RQ_SHARED)


def _fc_channel(x: Layer) -> bool:
    return _fc_hot(x) and not _rq_flags(x.lo) & RQ_SHARED


def _fc_widened(x: Layer) -> bool:
    """Some blocks may read a widened input: the planned scratch, or the output row's tail
    (tfc_fc_input_words: at least TFC_FC_TAIL_MIN blocks free; its alignment is not known here)."""
    f = x.lo.fields
    return _fc_hot(x) and (x.arena_scratch or int(f["out_depth"]) - 2 * int(f["in_depth"]) >= 16)


def _fc_int8(x: Layer) -> bool:
    """Some blocks read the int8 input: all but the planned scratch's (then every block is widened)."""
    return _fc_hot(x) and not x.arena_scratch


def _conv_window(x: Layer) -> int:
    """conv_run's kp: the padded window of an im2col conv."""
    f = x.lo.fields
    k_h, row = int(f["k_h"]), int(f["k_w"]) * int(f["in_c"])
    return k_h * ((row + 3) & ~3) if _rq_flags(x.lo) & RQ_ROWS else (k_h * row + 3) & ~3


def _conv_pairs(x: Layer) -> bool:
    """conv_run sends the layer's channel pairs to the assembly (fast requantisation, even count)."""
    return bool(_rq_flags(x.lo) & RQ_FAST) and int(x.lo.fields["out_c"]) % 2 == 0


def _conv_im2col(x: Layer) -> bool:
    return _conv_window(x) <= CONV_MAX_K


def _triples(x: Layer) -> bool:
    return bool(_rq_flags(x.lo) & RQ_TRIPLE)


def _planar_asm(x: Layer) -> bool:
    """The planar layer's rows take the assembly strips: fast requantisation, no activation clamp."""
    return bool(_rq_flags(x.lo) & RQ_FAST) and not _clamps(x.lo.fields)


def _strips(x: Layer) -> str:
    """The strip routine depthwise_planar takes at -O2 (dwp_asm at -Os), "c": the C rows."""
    if not _planar_asm(x):
        return "c"
    w = int(x.lo.fields["out_w"])
    return "6" if w in (5, 6) else "6n" if w % 6 == 0 else "3" if w == 3 else "any"


def _fill(x: Layer) -> str:
    """The band fill of a planar layer's data rows (dwp_geometry's row width, dwp_columns,
    dwp_fill_kind in the DSP build): "narrow", "wide", "rows" (assembly), "c" or "" (no data column)."""
    f = x.lo.fields
    wb = int(f["stride_w"]) * ((int(f["out_w"]) + 1) & ~1) + 2
    pl, in_w = int(f["pad_left"]), int(f["in_w"])
    col = pl - 1 if pl & 1 else pl
    left = bool(pl & 1) and col + 1 < wb
    if not left and col >= wb:
        return ""
    at = 1 if left else 0
    col += 2 if left else 0
    n = max(min((in_w - at) // 2, (wb - col) // 2), 0)
    right = at + 2 * n == in_w - 1 and col + 2 * n + 1 < wb
    if (n in (1, 2)) if left else (n == 3 and not right):
        return "narrow"
    if (right and n % 2 == 1 and n >= 3) if left else (not right and n % 2 == 0 and n >= 2):
        return "wide"
    return "rows" if n > 0 else "c"


#: the switched variants, in the header's order
SWITCHES: tuple[Switch, ...] = (
    Switch("ADD4", "tfc_add4_asm: the full-range assembly ADD (else tfc_add4c_asm / C)", ADD_KERNELS,
           _add_full, True),
    Switch("ADD4C", "tfc_add4c_asm: the assembly ADD with an activation clamp (else C)", ADD_KERNELS,
           _add_clamped, True),
    Switch("FIRST14", "first-layer conv: the straight 14-word (3x3x3) block loop (-O2)", FIRST_KERNELS,
           lambda x: _first_geometry(x)[3] == FIRST_STRAIGHT, True),
    Switch("FIRST_LOOP", "first-layer conv: the block loop unrolled 14 words (-O2; else one word a turn)",
           FIRST_KERNELS, lambda x: _first_geometry(x)[3] != FIRST_STRAIGHT, True),
    Switch("FIRST_EVEN", "first-layer conv: rows of an even width in pixel pairs (-O2; else the pixel loop)",
           FIRST_KERNELS, lambda x: int(x.lo.fields["out_w"]) % 2 == 0, True),
    Switch("FIRST_PIXELS", "first-layer conv: the pixel loop, pairs across rows (-O2: odd widths; -Os always)",
           FIRST_KERNELS, lambda x: int(x.lo.fields["out_w"]) % 2 == 1, False),
    Switch("WIDEN_333", "first-layer conv: 3x3x3 windows widened straight through (-O2)", FIRST_KERNELS,
           lambda x: _widen(x) == "333", True),
    Switch("WIDEN_3P", "first-layer conv: k_h x 3 x 3 windows, rows unrolled (-O2)", FIRST_KERNELS,
           lambda x: _widen(x) == "3p", True),
    Switch("WIDEN_1", "first-layer conv: one-word rows unrolled (-O2)", FIRST_KERNELS,
           lambda x: _widen(x) == "1", True),
    Switch("WIDEN_ANY", "first-layer conv: any window (-O2; -Os always)", FIRST_KERNELS,
           lambda x: _widen(x) == "any", False),
    Switch("FC_GENERIC", "FULLY_CONNECTED off the hot path (fc_generic)", FC_KERNELS,
           lambda x: not _fc_hot(x), False),
    Switch("FC_SHARED", "FULLY_CONNECTED hot path, one shared rq entry", FC_KERNELS, _fc_shared, False),
    Switch("FC_CHANNEL", "FULLY_CONNECTED hot path, per-channel rq entries", FC_KERNELS, _fc_channel, False),
    Switch("FC_XW", "FULLY_CONNECTED hot path on the widened input", FC_KERNELS, _fc_widened, True),
    Switch("FC_X8", "FULLY_CONNECTED hot path on the int8 input", FC_KERNELS, _fc_int8, False),
    Switch("CONV_PLAIN", "im2col conv: windows beyond the scratch, one output at a time (-O2; -Os always)",
           CONV_KERNELS, lambda x: not _conv_im2col(x), False),
    Switch("CONV_GENERIC", "im2col conv: channels off the pair assembly (pair_all_channels)", CONV_KERNELS,
           lambda x: _conv_im2col(x) and not _conv_pairs(x), False),
    Switch("CONV_PAIRS_FAST", "im2col conv: channel pairs in assembly without pair codes (pairs_fast_asm)",
           CONV_KERNELS, lambda x: _conv_im2col(x) and bool(_rq_flags(x.lo) & RQ_FAST)
           and not _rq_flags(x.lo) & RQ_PAIR and int(x.lo.fields["out_c"]) >= 2, False),
    Switch("TRIPLES", "conv pixel triples, full-range outputs (-O2; else the clamped routine)", CONV_KERNELS,
           lambda x: _triples(x) and not _clamps(x.lo.fields), True),
    Switch("TRIPLES_C", "conv pixel triples with an activation clamp (-O2)", CONV_KERNELS,
           lambda x: _triples(x) and _clamps(x.lo.fields), False),
    Switch("DWP_ASM", "planar depthwise: the strips of four (-O2; -Os always)", PLANAR_KERNELS,
           lambda x: _strips(x) == "any", False),
    Switch("DWP_ASM6", "planar depthwise: rows of five or six outputs in one strip (-O2)", PLANAR_KERNELS,
           lambda x: _strips(x) == "6", True),
    Switch("DWP_ASM6N", "planar depthwise: rows in strips of six (-O2)", PLANAR_KERNELS,
           lambda x: _strips(x) == "6n", True),
    Switch("DWP_ASM3", "planar depthwise: rows of three outputs (-O2)", PLANAR_KERNELS,
           lambda x: _strips(x) == "3", True),
    Switch("DWP_ROW_C", "planar depthwise: rows in C (activation clamp, slow requantisation; -O2, -Os always)",
           PLANAR_KERNELS, lambda x: _strips(x) == "c", False),
    Switch("DWP_NARROW", "planar depthwise: the band fill of narrow rows", PLANAR_KERNELS,
           lambda x: _fill(x) == "narrow", True),
    Switch("DWP_WIDE", "planar depthwise: the band fill of wide rows", PLANAR_KERNELS,
           lambda x: _fill(x) == "wide", True),
    Switch("DWP_ROWS", "planar depthwise: the general band fill in assembly", PLANAR_KERNELS,
           lambda x: _fill(x) == "rows", False),
    Switch("DWP_ROWS_C", "planar depthwise: the general band fill in C (rows without an interior pair)",
           PLANAR_KERNELS, lambda x: _fill(x) == "c", False),
    Switch("DEC24", "2:4 conv: the layer (run_24; 0: the model has no 2:4 conv)", DEC24_KERNELS,
           lambda x: True, False),
    Switch("DEC24S", "2:4 conv: the straight channel routine, at most eight groups, full range (-O2, -Os)",
           DEC24_KERNELS, _dec24_straight, True),
    Switch("DEC24_C", "2:4 conv: decoding and channels in C (slow requantisation; DSP build)", DEC24_KERNELS,
           lambda x: not _rq_flags(x.lo) & RQ_FAST, False),
    Switch("DEC24_NS4", "2:4 conv: the column expansion of four slots (exp24_row_ns4, exp24_ns4)", DEC24_KERNELS,
           lambda x: decoded.slots_24(x.lo) == 4, True),
    Switch("DEC24_NS6", "2:4 conv: the column expansion of six slots (exp24_row_ns6, exp24_ns6)", DEC24_KERNELS,
           lambda x: decoded.slots_24(x.lo) == 6, True),
    Switch("DEC24_NS10", "2:4 conv: the column expansion of ten slots (exp24_row_ns10, exp24_ns10)", DEC24_KERNELS,
           lambda x: decoded.slots_24(x.lo) == 10, True),
    Switch("DEC_W4_PC", "4-bit conv: pair-code blocks, pixel triples (run_pc)", DECW4_KERNELS, _dec_pc, False),
    Switch("DEC_W4_PLAIN", "4-bit conv: blocks off pair codes, pixel pairs (dec_pairs)", DECW4_KERNELS,
           lambda x: not _dec_pc(x), False),
    Switch("DEC_SP_PC", "sparse conv: pair-code blocks, pixel triples (run_pc)", DECSP_KERNELS, _dec_pc, False),
    Switch("DEC_SP_PLAIN", "sparse conv: blocks off pair codes, pixel pairs (dec_pairs)", DECSP_KERNELS,
           lambda x: not _dec_pc(x), False),
    Switch("DEC_PLAIN_WIN", "4-bit / sparse conv off pair codes: windows other than 1x1 (dec_window_plain)",
           DECW4_KERNELS + DECSP_KERNELS, lambda x: not _dec_pc(x) and not _pointwise(x), False),
    Switch("DEC_SLOW", "4-bit / sparse conv off pair codes: slow requantisation (dec_pairs' multipliers)",
           DECW4_KERNELS + DECSP_KERNELS, lambda x: not _dec_pc(x) and not _rq_flags(x.lo) & RQ_FAST, False),
    Switch("DEC_LUT", "4-bit conv: pair codes through the pair table (K >= DEC_LUT_MIN_K)", DECW4_KERNELS,
           _dec_lut, True),
    Switch("DEC_BORDER", "4-bit / sparse conv: border window triples in place (triple_border, -O2)",
           DECW4_KERNELS + DECSP_KERNELS, lambda x: _dec_pc(x) and _padded(x), True),
    Switch("DEC_PAIRS", "4-bit / sparse conv: channel pairs in assembly off pair codes (dec_pairs_asm)",
           DECW4_KERNELS + DECSP_KERNELS, _dec_pairs_asm, True),
)


def linked(layers: Iterable[Layer]) -> dict[str, bool]:
    """Switch name -> whether some layer runs that variant."""
    layers = list(layers)
    return {s.name: any(x.lo.kernel in s.kernels and s.runs(x) for x in layers) for s in SWITCHES}


def layers(lowered: Iterable[LoweredOp], arena_scratch: Callable[[LoweredOp], bool]) -> list[Layer]:
    """Every kernel call of ``lowered``: ops, the ops a driver calls (banding), control-flow bodies."""
    out = []
    for top in lowered:
        for lo in top.walk():
            out += [Layer(x, arena_scratch(x)) for x in (lo, *lo.parts)]
    return out


def render_header(links: dict[str, bool]) -> str:
    """``tfc_variants.h``: one ``#define TFC_LINK_<name> 0/1`` per switch."""
    width = max(len(s.name) for s in SWITCHES) + len("TFC_LINK_")
    lines = ["/* tfc_variants.h - generated by tfcompress.engine.optimized.variants, do not edit: the kernel",
             " * variants this model runs (0: compiled out, not linked). */",
             "#ifndef TFC_VARIANTS_H", "#define TFC_VARIANTS_H", ""]
    lines += [f"#define {'TFC_LINK_' + s.name:<{width}} {int(links[s.name])} /* {s.doc} */" for s in SWITCHES]
    return "\n".join([*lines, "", "#endif /* TFC_VARIANTS_H */", ""])


def model_headers(lowered: list[LoweredOp], arena_scratch: Callable[[LoweredOp], bool]) -> dict[str, str]:
    """The generated header of a model (path under ``engine/`` -> text): :func:`render_header` of
    the variants its layers run."""
    return {HEADER: render_header(linked(layers(lowered, arena_scratch)))}
