"""Instructions per inference of the MLPerf Tiny models on emulated Cortex-M (QEMU, -icount).

Each model is compiled with the reference and the optimised kernels into a minimal firmware
(board support + startup of the generated project, ``bench_fw/bench_main.c`` as main): one
warm-up ``tfc_model_run``, then ``--runs`` timed ones between two timer reads. QEMU runs with a
fixed ``-icount shift`` so the timer counts instructions deterministically (mps2-an500: CMSDK
timer at 25 MHz, shift 6 -> 1.6 ticks per instruction; netduinoplus2: TIM2, shift 0 -> 1 tick).
The output of the device is checked against TFLM's host interpreter on the same input.

    .venv/bin/python benchmarks/instructions.py                 # all models, mps2-an500, -O2
    .venv/bin/python benchmarks/instructions.py --board netduinoplus2 --models kws ad
    .venv/bin/python benchmarks/instructions.py --layers --models vww --kernels optimized
    .venv/bin/python benchmarks/instructions.py --json
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MODELS_DIR = REPO.parent / "shared" / "models" / "mlperf-tiny"
BENCH_FW = Path(__file__).resolve().parent / "bench_fw"

#: DESIGN.md §6: TFLM (commit 90b983c) on QEMU mps2-an500, instructions per Invoke()
TFLM = {
    "ic": dict(file="ic_resnet8_int8.tflite", macs=12_501_632, ref=109.4e6, cmsis=30.02e6, arena=54_996),
    "vww": dict(file="vww_mobilenet_int8.tflite", macs=7_489_664, ref=103.2e6, cmsis=24.03e6, arena=100_708),
    "kws": dict(file="kws_dscnn_int8.tflite", macs=2_656_768, ref=44.2e6, cmsis=7.64e6, arena=22_820),
    "ad": dict(file="ad_autoencoder_int8.tflite", macs=264_192, ref=1.96e6, cmsis=0.58e6, arena=2_580),
}
GOAL_RATIO = 0.6  # of TFLM + CMSIS-NN instructions, and of the TFLM arena
CODE_GOAL = 16_000  # bytes of flash besides the weights at -Os (engine, kernels, runner, startup, libc)

BOARD_SOURCES = ("board/startup.c", "board/board_init.c", "board/exit_semihosting.c")
_BENCH = re.compile(r"TFC_BENCH ticks=(\d+) runs=(\d+) out=([0-9a-f]*)")
_LAYER = re.compile(r"TFC_LAYER (\d+) (\d+)")


def bench_input(nbytes: int) -> np.ndarray:
    """The input bench_main.c generates (LCG, top byte), as uint8."""
    out = np.empty(nbytes, np.uint8)
    x = 12345
    for i in range(nbytes):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out[i] = x >> 24
    return out


def build_firmware(model, board, work: Path, *, opt: str = "-O2", runs: int = 1, layers: bool = False) -> Path:
    """Generate the board project for ``model``, swap in the benchmark main, build; return the ELF."""
    from tfcompress.project import generate_project
    from tfcompress.project.build import require_toolchain

    require_toolchain()
    generate_project(model, board, work, force=True, opt=opt)
    shutil.copyfile(BENCH_FW / "bench_main.c", work / "main.c")
    shutil.copyfile(BENCH_FW / "bench_hooks.h", work / "bench_hooks.h")
    srcs = ["main.c", "model.c", *sorted(str(p.relative_to(work)) for p in (work / "engine").rglob("*.c")),
            *BOARD_SOURCES, f"board/counter_{board.counter.kind}.c"]
    extra = f"-DBENCH_RUNS={runs}"
    if layers:
        extra += f" -DBENCH_LAYERS={len(model.lowered)} -include bench_hooks.h"
    cmd = ["make", "-C", str(work), "-j2", "--no-print-directory", f"OPT={opt}", f"SRCS={' '.join(srcs)}",
           f"EXTRA_CFLAGS={extra}", "firmware.elf"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"firmware build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return work / "firmware.elf"


def run_qemu(board, elf: Path, timeout: float = 1800.0) -> str:
    """Run the benchmark firmware under QEMU (fixed -icount shift); return its semihosting output."""
    emu = board.emulator
    log = elf.parent / "semihosting.txt"
    log.unlink(missing_ok=True)
    cmd = ["qemu-system-arm", "-M", emu["machine"], "-nographic", "-monitor", "none", "-serial", "null",
           "-chardev", f"file,id=sh0,path={log}", "-semihosting-config", "enable=on,target=native,chardev=sh0",
           "-icount", f"shift={int(emu['icount_shift'])}", "-kernel", str(elf)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise RuntimeError(f"QEMU exited with {proc.returncode}: {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    return log.read_text() if log.is_file() else ""


def code_and_weights(elf: Path, model) -> dict[str, int]:
    """.text bytes, the model's constant arrays in it, and the rest ("code": engine, kernels, startup, libc)."""
    size = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True, text=True, check=True)
    text = sum(int(line.split()[1]) for line in size.stdout.splitlines()
               if line.split() and line.split()[0] in (".text", ".ARM.exidx", ".data"))
    nm = subprocess.run(["arm-none-eabi-nm", "-S", "--size-sort", str(elf)], capture_output=True, text=True,
                        check=True)
    names = {a.name for lo in model.lowered for a in lo.arrays}
    weights = 0
    for line in nm.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] in names:
            weights += int(parts[1], 16)
    return dict(flash=text, weights=weights, code=text - weights)


def measure(key: str, kernels: str, board, *, opt: str, runs: int, layers: bool, keep: Path | None,
            path: Path | None = None, compress_weights: bool = False) -> dict:
    """Build and run one model (MLPerf ``key``, or any .tflite ``path``) with one kernel set; check
    the output against TFLM. ``compress_weights``: 4-bit weights for clustered layers."""
    from tfcompress.engine.compiler import compile_tflite
    from tfcompress.tflm import TflmModel

    path = path or MODELS_DIR / TFLM[key]["file"]
    model = compile_tflite(path, kernels=kernels, compress_weights=compress_weights)
    work = Path(tempfile.mkdtemp(prefix=f"tfcbench-{key}-{kernels}-"))
    try:
        elf = build_firmware(model, board, work, opt=opt, runs=runs, layers=layers)
        out = run_qemu(board, elf)
        m = _BENCH.search(out)
        if not m:
            raise RuntimeError(f"no TFC_BENCH line in the firmware output: {out[-2000:]}")
        ticks, n = int(m.group(1)), int(m.group(2))
        device = np.frombuffer(bytes.fromhex(m.group(3)), np.uint8)
        x = bench_input(model.input.nbytes).view(np.int8).reshape(model.input.shape)
        want = TflmModel(model.model_bytes).run(x).reshape(-1).view(np.uint8)
        sizes = code_and_weights(elf, model)
        res = dict(model=key, kernels=kernels, board=board.name, opt=opt, runs=n,
                   instructions=ticks / board.counter.ticks_per_unit / n,
                   mismatches=int((device != want).sum()) if device.size == want.size else -1,
                   ram=model.ram_bytes, arena=model.plan.arena_bytes, scratch=scratch_bytes(model), **sizes)
        if layers:
            per = {int(a): int(b) / board.counter.ticks_per_unit / n for a, b in _LAYER.findall(out)}
            res["layers"] = [dict(index=i, op=lo.op.name, kernel=lo.kernel, instructions=per.get(i, 0.0),
                                  macs=layer_macs(lo)) for i, lo in enumerate(model.lowered)]
        return res
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            dst = keep / f"{key}-{kernels}-{board.name}{opt}"
            shutil.rmtree(dst, ignore_errors=True)
            shutil.move(str(work), dst)


def scratch_bytes(model) -> int:
    """Stack scratch of the kernels (0 when the planner put it in the arena; part of ``model.ram_bytes``)."""
    return model.scratch_bytes


def layer_macs(lo) -> int:
    f = lo.fields
    if lo.struct == "tfc_conv_params":
        depth = 1 if lo.kernel.startswith("tfc_depthwise") else f["in_c"]
        return f["batches"] * f["out_h"] * f["out_w"] * f["out_c"] * f["k_h"] * f["k_w"] * depth
    if lo.struct == "tfc_fc_params":
        return f["batches"] * f["in_depth"] * f["out_depth"]
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", default="mps2-an500")
    ap.add_argument("--models", nargs="+", default=list(TFLM), choices=list(TFLM))
    ap.add_argument("--kernels", nargs="+", default=["reference", "optimized"])
    ap.add_argument("--opt", default="-O2", help="optimisation level of the instruction count build")
    ap.add_argument("--size-opt", default="-Os", help="optimisation level of the code-size build ('' to skip)")
    ap.add_argument("--runs", type=int, default=1, help="timed inferences after the warm-up")
    ap.add_argument("--layers", action="store_true", help="per-layer instruction counts (separate build)")
    ap.add_argument("--keep", type=Path, help="keep the generated projects under this directory")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout instead of the lines and table")
    args = ap.parse_args(argv)

    from tfcompress.boards import load_board

    board = load_board(args.board)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    rows = []
    for key in args.models:
        for kernels in args.kernels:
            r = measure(key, kernels, board, opt=args.opt, runs=args.runs, layers=False, keep=args.keep)
            if args.size_opt:
                s = measure(key, kernels, board, opt=args.size_opt, runs=1, layers=False, keep=None)
                r["size_opt"] = dict(opt=args.size_opt, code=s["code"], weights=s["weights"],
                                     instructions=s["instructions"], mismatches=s["mismatches"])
            if args.layers:
                r["layers"] = measure(key, kernels, board, opt=args.opt, runs=args.runs, layers=True,
                                      keep=None)["layers"]
            t = TFLM[key]
            r.update(macs=t["macs"], instr_per_mac=r["instructions"] / t["macs"], tflm_ref=t["ref"],
                     tflm_cmsis=t["cmsis"], vs_cmsis=r["instructions"] / t["cmsis"],
                     goal=GOAL_RATIO * t["cmsis"], meets_goal=r["instructions"] <= GOAL_RATIO * t["cmsis"],
                     tflm_arena=t["arena"], ram_vs_arena=r["ram"] / t["arena"],
                     meets_ram=r["ram"] <= GOAL_RATIO * t["arena"])
            if "size_opt" in r:
                r["meets_code"] = r["size_opt"]["code"] <= CODE_GOAL
            rows.append(r)
            if not args.json:
                _print_row(r)
    if args.json:
        print(json.dumps(dict(board=board.name, results=rows), indent=2))
    else:
        print(_summary(rows))
    return 0 if all(r["mismatches"] == 0 and r.get("size_opt", {}).get("mismatches", 0) == 0
                    for r in rows) else 1


def _summary(rows: list[dict]) -> str:
    """One table of every measured model and kernel set, with the goals (x TFLM figures)."""
    from tfcompress.console import format_table

    def mark(ok: bool | None) -> str:
        return "-" if ok is None else ("ok" if ok else "MISSED")

    table = []
    for r in rows:
        so = r.get("size_opt", {})
        table.append({
            "model": r["model"], "kernels": r["kernels"], "instr (M)": round(r["instructions"] / 1e6, 3),
            "instr/MAC": round(r["instr_per_mac"], 2), "x TFLM+CMSIS": round(r["vs_cmsis"], 3),
            "<=0.6x": mark(r["meets_goal"]), "RAM (B)": r["ram"], "x TFLM arena": round(r["ram_vs_arena"], 3),
            "RAM <=0.6x": mark(r["meets_ram"]), f"code {so.get('opt', '')} (B)": so.get("code", "-"),
            "code <=16 KB": mark(r.get("meets_code")), "weights (B)": r["weights"], "mismatches": r["mismatches"],
        })
    return format_table(table)


def _print_row(r: dict) -> None:
    so = r.get("size_opt", {})
    print(f"{r['model']:4s} {r['kernels']:9s} {r['board']} {r['opt']}: {r['instructions'] / 1e6:8.3f} M instr "
          f"({r['instr_per_mac']:.2f}/MAC)  TFLM ref {r['tflm_ref'] / 1e6:.2f} M, +CMSIS-NN "
          f"{r['tflm_cmsis'] / 1e6:.2f} M -> x{r['vs_cmsis']:.3f} (goal <= {r['goal'] / 1e6:.2f} M "
          f"{'MET' if r['meets_goal'] else 'missed'})  mismatches {r['mismatches']}  RAM {r['ram']} B (scratch {r['scratch']})  "
          f"code {r['code']} B (O2), {so.get('code', '-')} B ({so.get('opt', '-')})  weights {r['weights']} B",
          flush=True)
    for layer in r.get("layers", []):
        macs = layer["macs"]
        per = f"{layer['instructions'] / macs:.2f}/MAC" if macs else ""
        print(f"    #{layer['index']:2d} {layer['op']:18s} {layer['kernel']:26s} {layer['instructions']:11.0f} "
              f"{macs:9d} MAC {per}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
