"""Host side of on-device profiling: fault frames in words, per-op rows, the RAM figure, the PROFILE /
STATS requests against the host-compiled harness (a build without --profile), the report's chart."""

from __future__ import annotations

import struct
from dataclasses import replace
from types import SimpleNamespace

import pytest
from conftest import require_tool
from harness_fixture import ProcessTransport, build_host_firmware

from tfcompress.errors import TfcError
from tfcompress.harness import protocol as p
from tfcompress.harness.client import DeviceError, DeviceInfo, HarnessClient
from tfcompress.harness.fault_decode import Fault, SymbolTable, locate, where_text
from tfcompress.harness.profile import (
    StackStats,
    format_layers,
    layer_rows,
    ram_figure,
    read_profile,
    read_stats,
)

NM = """\
00000400 00000010 T Reset_Handler
00001000 00000200 T tfc_conv2d_s8
00001200 00000080 t helper_dot
00001280 00000100 T tfc_model_run
20000000 00002740 b tfc_arena
"""


def test_precise_bus_fault_in_words() -> None:
    f = Fault.parse(struct.pack("<6I", 0x1011, 0x1285, 0x8200, 0x40000000, 0xE000ED34, 0x30000000))
    assert f.layer is None and f.bfar_valid and not f.mmfar_valid
    names = [name for _reg, name, _m in f.bits()]
    assert names == ["PRECISERR", "BFARVALID", "FORCED"]
    text = f.describe()
    assert "pc=0x00001011" in text and "PRECISERR (precise data bus error" in text
    assert "BFAR 0x30000000 is the faulting address" in text and "MMFAR not valid" in text
    assert "escalated to HardFault" in text


def test_undefined_instruction_and_stack_overflow_bits() -> None:
    f = Fault(0x2000, 0x1000, (1 << 16) | (1 << 12), 1 << 30, 0, 0)
    names = [name for _reg, name, _m in f.bits()]
    assert names == ["STKERR", "UNDEFINSTR", "FORCED"]
    assert "BFAR not valid" in f.describe() and "MMFAR not valid" in f.describe()
    assert "no fault status bit set" in Fault(0, 0, 0, 0, 0, 0).describe()


def test_fault_frame_of_a_profiling_build_names_the_op() -> None:
    f = Fault.parse(struct.pack("<7I", 0x1011, 0x1285, 0x20000, 0x40000000, 0, 0, 3))
    assert f.layer == 3
    assert Fault.parse(struct.pack("<7I", 0, 0, 0, 0, 0, 0, 0xFFFFFFFF)).layer is None
    ops = [("CONV_2D", "tfc_conv2d_s8")] * 2 + [("DEPTHWISE_CONV_2D", "tfc_dw"), ("CONV_2D+ADD", "tfc_conv2d_s8")]
    where = locate(f, SymbolTable.parse_nm(NM), ops)
    assert where["function"] == "tfc_conv2d_s8+0x10" and where["caller"] == "tfc_model_run+0x4"
    assert where["ops"] == ["#3 CONV_2D+ADD"]  # the frame says which op ran, not only which kernel


def test_pc_in_a_kernel_names_every_op_using_it_or_the_caller() -> None:
    syms = SymbolTable.parse_nm(NM)
    assert syms.sizes["tfc_arena"] == 0x2740
    ops = [("CONV_2D", "tfc_conv2d_s8"), ("SOFTMAX", "tfc_softmax_s8"), ("CONV_2D", "tfc_conv2d_s8")]
    where = locate(Fault(0x1011, 0x1285, 0, 0, 0, 0), syms, ops)
    assert where["ops"] == ["#0 CONV_2D", "#2 CONV_2D"]
    assert where_text(where) == ("pc in tfc_conv2d_s8+0x10 called from tfc_model_run+0x4; "
                                 "in one of the ops #0 CONV_2D, #2 CONV_2D")
    # the PC in a helper: the LR's function (the kernel that called it) names the ops
    helper = locate(Fault(0x1210, 0x1101, 0, 0, 0, 0), syms, ops)
    assert helper["function"] == "helper_dot+0x10" and helper["ops"] == ["#0 CONV_2D", "#2 CONV_2D"]
    assert locate(Fault(0x9000, 0, 0, 0, 0, 0), syms, ops) == {}  # outside every function
    assert locate(Fault(0x1011, 0, 0, 0, 0, 0), None, ops) == {}  # no symbols: nothing claimed


def _model() -> SimpleNamespace:
    """Three lowered ops: a conv fused with an ADD, a reshape, a fully connected layer."""
    tensors = {1: SimpleNamespace(name="conv", shape=(1, 4, 4, 8)), 2: SimpleNamespace(name="flat", shape=(1, 128)),
               3: SimpleNamespace(name="fc", shape=(1, 10))}
    conv = SimpleNamespace(op=SimpleNamespace(index=0, name="CONV_2D"), fused=[SimpleNamespace(index=1, name="ADD")],
                           kernel="tfc_conv2d_add_s8", struct="tfc_conv_params", outputs=[1],
                           fields=dict(batches=1, out_h=4, out_w=4, out_c=8, k_h=3, k_w=3, in_c=2))
    reshape = SimpleNamespace(op=SimpleNamespace(index=2, name="RESHAPE"), fused=[], kernel="", struct=None,
                              outputs=[2], fields={})
    fc = SimpleNamespace(op=SimpleNamespace(index=3, name="FULLY_CONNECTED"), fused=[], kernel="tfc_fc",
                         struct="tfc_fc_params", outputs=[3], fields=dict(batches=1, in_depth=128, out_depth=10))
    return SimpleNamespace(graph=SimpleNamespace(t=tensors.__getitem__), lowered=[conv, reshape, fc])


def test_layer_rows_subtract_the_hooks_and_add_up() -> None:
    # mps2-an500-like counter: 1.6 ticks per instruction; hooks cost 8 ticks per op
    ticks = [8 + 1.6 * 4000, 8, 8 + 1.6 * 2000]
    rows, summary = layer_rows(_model(), ticks, ticks_per_unit=1.6, overhead_ticks=8, total_ticks=1.6 * 6100)
    assert [r["op"] for r in rows] == ["CONV_2D+ADD", "RESHAPE", "FULLY_CONNECTED"]
    assert rows[0]["tflite_ops"] == [{"index": 0, "op": "CONV_2D"}, {"index": 1, "op": "ADD"}]
    assert [r["macs"] for r in rows] == [4 * 4 * 8 * 3 * 3 * 2, 0, 1280]
    assert [r["instructions"] for r in rows] == [4000.0, 0.0, 2000.0]
    assert rows[0]["instructions_per_mac"] == round(4000 / 2304, 3) and rows[1]["instructions_per_mac"] is None
    assert rows[2]["output_shape"] == [1, 10] and rows[2]["share"] == round(2000 / 6100, 4)
    assert summary["instructions_ops_sum"] == 6000.0 and summary["unattributed"] == 100.0
    assert summary["overhead_per_op_subtracted"] == 5.0 and summary["ops"] == 3
    assert "hooks_per_run" not in summary
    _, with_cost = layer_rows(_model(), ticks, ticks_per_unit=1.6, overhead_ticks=8, total_ticks=1.6 * 6100,
                              run_overhead_ticks=3 * 32)
    assert with_cost["hooks_per_run"] == 60.0 and with_cost["instructions_without_hooks"] == 6040.0
    table = format_layers(rows)
    assert table[0]["op"] == "CONV_2D+ADD" and table[0]["output shape"] == "1x4x4x8" and table[2]["share"] == "32.8%"


def test_ram_figure_says_what_was_measured() -> None:
    stack = StackStats(stack_bytes=8192, peak_bytes=700, harness_bytes=64, run_bytes=636, measured=True)
    ram = ram_figure(arena=10000, arena_measured=False, stack=stack, static_data=2000)
    assert ram["total"] == 12700 and ram["arena_planned"] == 10000 and ram["stack_measured"] == 700
    assert ram["measured"] == ["stack", "static_data (linked image)"] and ram["planned"] == ["arena"]
    assert ram["stack_model_bytes"] == 636
    old = ram_figure(arena=5000, arena_measured=True, stack=None, static_data=None, stack_planned=8192)
    assert old == {"arena_measured": 5000, "stack_planned": 8192, "total": 13192, "measured": ["arena"],
                   "planned": ["stack"]}


@pytest.fixture(scope="module")
def host_firmware(tmp_path_factory):
    """The harness compiled for the host with the fixture model: no --profile, no stack hooks."""
    return build_host_firmware(tmp_path_factory.mktemp("profile") / "fuzz_proto", require_tool("gcc", "gcc"))


def test_requests_against_a_build_without_profile(host_firmware) -> None:
    t = ProcessTransport(host_firmware)
    try:
        client = HarnessClient(t, timeout=2.0)
        info = client.hello()
        assert not info.profiling
        with pytest.raises(TfcError, match="built without --profile.*rebuild with --profile"):
            read_profile(client)
        # firmware that says it profiles but does not know the request: the same advice
        client.info = replace(info, profiling=True)
        with pytest.raises(TfcError, match="built without --profile"):
            read_profile(client)
        with pytest.raises(DeviceError) as e:
            client.request(p.PROFILE, b"\x00\x00")
        assert e.value.code == p.ERR_TYPE
        stats = read_stats(client)  # every build answers STATS; the host build cannot paint a stack
        assert stats is not None and not stats.measured and stats.peak_bytes == 0
    finally:
        t.close()


def test_hello_flag_bit_1_is_a_profiling_build() -> None:
    hello = bytearray(struct.pack(p.HELLO_FORMAT, 2, 1, 1, 1, 4, 4, 100, 25_000_000, 256, 0, 0,
                                  p.FLAG_PROFILE | p.FLAG_STATEFUL, 8, 6, 0, 8, 8, b"0123456789abcdef"))
    hello += b"\x04test"
    info = DeviceInfo.parse(bytes(hello))
    assert info.profiling and info.stateful
    hello[28] = p.FLAG_STATEFUL | 4  # bit 2 is another build kind's
    assert not DeviceInfo.parse(bytes(hello)).profiling


def test_report_chart_and_ram_cell(tmp_path) -> None:
    from tfcompress.report.plots import plot_layers
    from tfcompress.report.table import _ram_cell

    rows, summary = layer_rows(_model(), [4000, 0, 2000], ticks_per_unit=1.0, overhead_ticks=0, total_ticks=6100)
    variant = {"variant": "int8", "runtime": "engine", "deployable": True, "layers": rows, "profile": summary}
    png = plot_layers({"variants": [variant]}, variant, tmp_path)
    assert png is not None and png.stat().st_size > 1000
    assert plot_layers({}, {"variant": "x"}, tmp_path) is None
    assert _ram_cell({"ram_bytes": 10240, "stack_bytes": 1024}) == "10.0 + 1.0 stack"
    assert _ram_cell({"ram_bytes": 10240}) == "10.0"


def test_profiling_project_defines_tfc_profile(tmp_path) -> None:
    import json

    from harness_fixture import FIXTURE

    from tfcompress.boards import load_board
    from tfcompress.project import generate_project

    board = load_board("mps2-an500")
    prof = generate_project(FIXTURE, board, tmp_path / "prof", profile=True)
    plain = generate_project(FIXTURE, board, tmp_path / "plain")
    assert "-DTFC_PROFILE=1" in (prof.path / "Makefile").read_text()
    assert "TFC_PROFILE" not in (plain.path / "Makefile").read_text()
    assert "Profiling build" in (prof.path / "README.md").read_text()
    assert "Profiling build" not in (plain.path / "README.md").read_text()
    for name in ("tfc_profile.h", "tfc_stack.c", "tfc_stack.h"):  # every build measures its stack
        assert (plain.path / "harness" / name).is_file()
    meta = json.loads((prof.path / "tfcompress.json").read_text())
    assert meta["profile"] is True and meta["engine"].endswith("+profile")
    assert json.loads((plain.path / "tfcompress.json").read_text())["profile"] is False


@pytest.fixture(scope="module")
def profiling_host_firmware(tmp_path_factory):
    """The harness compiled for the host as a profiling build reporting 70 ops (two PROFILE pages)."""
    return build_host_firmware(tmp_path_factory.mktemp("profile-on") / "fuzz_proto", require_tool("gcc", "gcc"),
                               profile_ops=70)


def test_profile_pages_and_checks_against_a_profiling_build(profiling_host_firmware) -> None:
    from harness_fixture import samples

    t = ProcessTransport(profiling_host_firmware)
    try:
        client = HarnessClient(t, timeout=2.0)
        assert client.hello().profiling
        before = read_profile(client)
        assert len(before.ticks) == 70 and not before.valid  # no RUN yet
        assert before.calibration_pairs == 16 and before.calibration_ticks > 0 and before.pair_cost_ticks > 0
        client.infer(samples(1)[0], warmup=1, repeat=2)
        after = read_profile(client)
        assert after.valid and len(after.ticks) == 70  # 64 + 6, in two replies
        last = client.request(p.PROFILE, struct.pack("<H", 70))  # the end: no ops, a valid reply
        assert struct.unpack_from("<HHH", last) == (70, 70, 0)
        for payload, code in ((struct.pack("<H", 71), p.ERR_RANGE), (b"\x00", p.ERR_LENGTH), (b"", p.ERR_LENGTH)):
            with pytest.raises(DeviceError) as e:
                client.request(p.PROFILE, payload)
            assert e.value.code == code
        with pytest.raises(DeviceError) as e:
            client.request(p.STATS, b"\x00")
        assert e.value.code == p.ERR_LENGTH
    finally:
        t.close()  # asserts a clean exit: no sanitizer report


def test_hostile_profile_and_stats_frames(profiling_host_firmware) -> None:
    """Adversarial PROFILE / STATS frames through the profiling build under ASan/UBSan: every reply is
    well formed (the driver checks) and nothing reads out of bounds."""
    import random
    import subprocess

    rng = random.Random(7)
    data = p.encode_frame(p.HELLO, 1)
    for _ in range(400):
        kind = rng.choice([p.PROFILE, p.STATS])
        payload = rng.choice([struct.pack("<H", rng.choice([0, 1, 63, 64, 65, 69, 70, 71, 0xFFFF, rng.randrange(65536)])),
                              bytes(rng.randrange(256) for _ in range(rng.randrange(40))), b""])
        data += p.encode_frame(kind, rng.randrange(65535), payload)
    proc = subprocess.run([str(profiling_host_firmware)], input=data, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    fed, frames, _errors = map(int, proc.stdout.split())
    assert fed == len(data) and frames == 401


def test_results_schema_checks_the_device_measurements() -> None:
    import copy
    import json
    from pathlib import Path

    from tfcompress.report.schema import validate_results

    results = json.loads((Path(__file__).parent / "fixtures" / "report" / "results.json").read_text())
    ok = copy.deepcopy(results)
    rows, summary = layer_rows(_model(), [4000, 0, 2000], ticks_per_unit=1.0, overhead_ticks=0, total_ticks=6100)
    ok["variants"][0].update(stack_bytes=700, ram_device={"total": 1}, layers=rows, profile=summary)
    ok["variants"][1].update(stack_bytes=None, ram_device=None)  # not measured (older runs, host-only rows)
    validate_results(ok)
    bad = copy.deepcopy(results)
    bad["variants"][0].update(stack_bytes="700", layers={"op": "CONV_2D"})
    with pytest.raises(TfcError) as info:
        validate_results(bad)
    assert "variants[0].stack_bytes" in info.value.line() and "variants[0].layers" in info.value.line()


def test_profile_needs_a_board() -> None:
    from pathlib import Path

    from click.testing import CliRunner

    from tfcompress.cli import main

    model = sorted((Path(__file__).parent / "fixtures" / "corpus").glob("*.tflite"))[0]
    result = CliRunner().invoke(main, ["validate", str(model), "--board", "host", "--profile", "--samples", "1"])
    assert result.exit_code == 2 and "firmware on a board" in result.output


def test_a_banded_pair_is_one_row_naming_both_ops() -> None:
    """engine/banding.py runs CONV_2D + DEPTHWISE_CONV_2D a band of rows at a time in one kernel call
    (tfc_band_s8): its row names both TFLite ops (indices and names, in data-flow order), says it is
    banded and counts the MACs of both, in the rows (JSON), the terminal table and the report's chart."""
    from tfcompress.report.plots import layer_label

    tensors = {5: SimpleNamespace(name="mid", shape=(1, 8, 8, 16)), 6: SimpleNamespace(name="dw", shape=(1, 8, 8, 16))}
    conv = SimpleNamespace(op=SimpleNamespace(index=2, name="CONV_2D"), fused=[], kernel="tfc_conv2d_s8",
                           struct="tfc_conv_params", outputs=[5], parts=[],
                           fields=dict(batches=1, out_h=8, out_w=8, out_c=16, k_h=1, k_w=1, in_c=8))
    dw = SimpleNamespace(op=SimpleNamespace(index=3, name="DEPTHWISE_CONV_2D"), fused=[], kernel="tfc_depthwise_s8",
                         struct="tfc_conv_params", outputs=[6], parts=[],
                         fields=dict(batches=1, out_h=8, out_w=8, out_c=16, k_h=3, k_w=3, in_c=16))
    band = SimpleNamespace(op=conv.op, fused=[dw.op], kernel="tfc_band_s8", struct="tfc_band_params", outputs=[6],
                           parts=[conv, dw], fields={})
    model = SimpleNamespace(graph=SimpleNamespace(t=tensors.__getitem__), lowered=[band])
    rows, _ = layer_rows(model, [3000.0], ticks_per_unit=1.0, overhead_ticks=0, total_ticks=3000.0)
    (row,) = rows
    assert row["op"] == "CONV_2D→DEPTHWISE_CONV_2D (banded)" and row["ops"] == "2+3"
    assert row["tflite_ops"] == [{"index": 2, "op": "CONV_2D"}, {"index": 3, "op": "DEPTHWISE_CONV_2D"}]
    assert row["macs"] == 8 * 8 * 16 * 8 + 8 * 8 * 16 * 9  # both layers
    (cells,) = format_layers(rows)
    assert (cells["#"], cells["op"]) == ("2+3", "CONV_2D→DEPTHWISE_CONV_2D (banded)")
    assert layer_label(row) == "#2+3 CONV_2D→DEPTHWISE_CONV_2D (banded) 1x8x8x16"
    # a fused op stays '+'-joined; a row without 'ops' (older results.json) keeps its slot index
    fused, _ = layer_rows(_model(), [0.0, 0.0, 0.0], ticks_per_unit=1.0, overhead_ticks=0, total_ticks=1.0)
    assert [(r["ops"], r["op"]) for r in fused] == [("0+1", "CONV_2D+ADD"), ("2", "RESHAPE"), ("3", "FULLY_CONNECTED")]
    assert layer_label({"index": 4, "op": "ADD", "output_shape": [1, 2]}) == "#4 ADD 1x2"
