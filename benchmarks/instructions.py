"""Instructions, RAM and code of the MLPerf Tiny models on emulated Cortex-M (QEMU, -icount):
our engine and TensorFlow Lite Micro, measured in the same run.

Each model is built into a minimal firmware (board support + startup of the generated project,
``bench_fw/bench_main.c`` as main) for every runtime: our engine with the reference and the
optimised kernels, and TFLM (``--runtime tflm`` projects) with its reference and its CMSIS-NN
kernels, built from the TFLM trees given by ``--tflm-dir`` (default ``../shared/tflm/{reference,
cmsis-nn}``; a missing tree skips its rows with a message). The same main runs both: one warm-up
``tfc_model_run`` (TFLM sets up its interpreter there), then ``--runs`` timed ones between two
timer reads. QEMU runs with a fixed ``-icount shift`` so the timer counts instructions
deterministically (mps2-an500: CMSDK timer at 25 MHz, shift 6 -> 1.6 ticks per instruction;
netduinoplus2: TIM2, shift 0 -> 1 tick). Every output is checked against TFLM's host interpreter.

Peak RAM is measured the same way for every runtime: the firmware's static data (.data + .bss)
without the benchmark's own input/output/text buffers (and, for TFLM, without the part of its
arena it does not use: the arena counts as ``arena_used_bytes()``), plus the stack the timed
inferences used (the stack is painted before them and scanned after). Code is flash besides the
model's weights (our constant arrays; TFLM's whole .tflite flatbuffer). The ratios ours/TFLM come
from this run; DESIGN.md section 6's stored TFLM figures are printed beside them as a cross-check.

    .venv/bin/python benchmarks/instructions.py                 # all models, mps2-an500, -O2, both runtimes
    .venv/bin/python benchmarks/instructions.py --board netduinoplus2 --models kws ad
    .venv/bin/python benchmarks/instructions.py --runtimes engine --layers --models vww --kernels optimized
    .venv/bin/python benchmarks/instructions.py --markdown     # the README table
    .venv/bin/python benchmarks/instructions.py --json
"""

from __future__ import annotations

import argparse
import json
import os
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
#: TFLM trees measured beside the engine (kernels -> tree made by create_tflm_tree.py)
TFLM_TREES = {"reference": REPO.parent / "shared" / "tflm" / "reference",
              "cmsis-nn": REPO.parent / "shared" / "tflm" / "cmsis-nn"}

#: DESIGN.md §6 (a cross-check now: the ratios come from TFLM measured in the same run): TFLM
#: (commit 90b983c) on QEMU mps2-an500, instructions per Invoke(), 32-bit arena
TFLM = {
    "ic": dict(file="ic_resnet8_int8.tflite", macs=12_501_632, ref=109.4e6, cmsis=30.02e6, arena=54_996),
    "vww": dict(file="vww_mobilenet_int8.tflite", macs=7_489_664, ref=103.2e6, cmsis=24.03e6, arena=100_708),
    "kws": dict(file="kws_dscnn_int8.tflite", macs=2_656_768, ref=44.2e6, cmsis=7.64e6, arena=22_820),
    "ad": dict(file="ad_autoencoder_int8.tflite", macs=264_192, ref=1.96e6, cmsis=0.58e6, arena=2_580),
}
GOAL_RATIO = 0.6  # of TFLM + CMSIS-NN instructions, and of the TFLM arena
CODE_GOAL = 16_000  # bytes of flash besides the weights at -Os (engine, kernels, runner, startup, libc)

BOARD_SOURCES = ("board/startup.c", "board/board_init.c", "board/exit_semihosting.c", "harness/tfc_stack.c")
_BENCH = re.compile(r"TFC_BENCH ticks=(\d+) runs=(\d+) stack=(\d+) arena=(\d+) out=([0-9a-f]*)")
#: the benchmark's own static buffers (bench_main.c), not part of any runtime's RAM
BENCH_BUFFERS = ("bench_in", "bench_out", "line", "tfc_prof_ticks", "tfc_prof_t0", "tfc_prof_layer")
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
    """Generate the board project for ``model`` (the engine's compiled model, or a TFLM program),
    swap in the benchmark main, build; return the ELF."""
    from tfcompress.project import generate_project
    from tfcompress.project.build import require_toolchain

    require_toolchain()
    tflm = getattr(model, "runtime", "engine") == "tflm"
    generate_project(model, board, work, force=True, opt=opt)
    shutil.copyfile(BENCH_FW / "bench_main.c", work / "main.c")
    board_srcs = [*BOARD_SOURCES, f"board/counter_{board.counter.kind}.c"]
    if tflm:  # model.cc, model_data.cc and tflm/*.cc are the Makefile's CXXSRCS; no serial harness
        srcs = ["main.c", *board_srcs]
    else:
        srcs = ["main.c", "model.c", *sorted(str(p.relative_to(work)) for p in (work / "engine").rglob("*.c")),
                *board_srcs]
    extra = f"-DBENCH_RUNS={runs}"
    if layers and not tflm:  # the product's profiling hooks (harness/tfc_profile.h), read by bench_main.c
        extra += " -DTFC_PROFILE=1"
    cmd = ["make", "-C", str(work), "-j2", "--no-print-directory", f"OPT={opt}", f"SRCS={' '.join(srcs)}",
           f"EXTRA_CFLAGS={extra}", "firmware.elf"]
    keys = _object_keys(work, srcs, f"{opt}\n{extra}")
    _reuse_objects(work, keys)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"firmware build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    _keep_objects(work, keys)
    return work / "firmware.elf"


#: objects compiled by build_firmware in this process, by _object_keys (a temporary folder, removed
#: at exit): the kernels a series of builds shares (one kernel set, board and -O) compile once
_objects_dir: Path | None = None


_INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*(?:"([^"]+)"|<([^>]+)>|(.*))', re.M)


def _object_keys(work: Path, srcs: list[str], flags: str) -> dict[str, str]:
    """Per C source of the project: a digest of ``flags``, the Makefile, the source and every
    project header it may include (each #include line, in or out of #if, looked up beside the
    file and in the Makefile's -I folders; all headers if one names a macro)."""
    import hashlib

    dirs = [work, work / "engine", work / "harness", work / "board"]
    everything = sorted(work.rglob("*.h"))

    def closure(src: Path) -> list[Path]:
        seen, todo = {src.resolve(): src}, [src]
        while todo:
            f = todo.pop()
            for quoted, angled, other in _INCLUDE.findall(f.read_bytes()):
                if other.strip():
                    return [src, *everything]
                for d in (f.parent, *dirs):
                    h = d / (quoted or angled).decode()
                    if h.is_file() and h.resolve() not in seen:
                        seen[h.resolve()] = h
                        todo.append(h)
        return sorted(seen.values())

    keys = {}
    for src in srcs:
        d = hashlib.sha256(flags.encode() + (work / "Makefile").read_bytes())
        for f in closure(work / src):
            d.update(f"\0{os.path.relpath(f, work)}\0".encode() + f.read_bytes())
        keys[src] = d.hexdigest()
    return keys


def _object(work: Path, src: str) -> Path:
    return work / "build" / Path(src).with_suffix(".o")


def _reuse_objects(work: Path, keys: dict[str, str]) -> None:
    """Put the objects built before from the same inputs where make looks (newer than their sources)."""
    if _objects_dir is None:
        return
    for src, key in keys.items():
        cached = _objects_dir / f"{key}.o"
        if cached.is_file():
            _object(work, src).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(cached, _object(work, src))


def _keep_objects(work: Path, keys: dict[str, str]) -> None:
    global _objects_dir
    if _objects_dir is None:
        import atexit

        _objects_dir = Path(tempfile.mkdtemp(prefix="tfcbench-objects-"))
        atexit.register(shutil.rmtree, _objects_dir, True)
    for src, key in keys.items():
        if _object(work, src).is_file() and not (_objects_dir / f"{key}.o").is_file():
            shutil.copyfile(_object(work, src), _objects_dir / f"{key}.o")


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


def _symbol_sizes(elf: Path) -> dict[str, int]:
    nm = subprocess.run(["arm-none-eabi-nm", "-S", "--size-sort", str(elf)], capture_output=True, text=True,
                        check=True)
    out: dict[str, int] = {}
    for line in nm.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4:
            out[parts[3]] = out.get(parts[3], 0) + int(parts[1], 16)
    return out


def _sections(elf: Path) -> dict[str, int]:
    size = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True, text=True, check=True)
    return {p[0]: int(p[1]) for p in (ln.split() for ln in size.stdout.splitlines()) if len(p) >= 2 and p[1].isdigit()}


def code_and_weights(elf: Path, model) -> dict[str, int]:
    """Flash bytes, the model's weights in it (our constant arrays; TFLM: the .tflite flatbuffer) and
    the rest ("code": engine or interpreter, kernels, startup, libc)."""
    from tfcompress.project.build import FLASH_SECTIONS

    flash = sum(v for k, v in _sections(elf).items() if k in FLASH_SECTIONS)
    if getattr(model, "runtime", "engine") == "tflm":
        names = {"tfc_model_data"}
    else:
        names = {a.name for lo in model.lowered for a in lo.arrays}
    weights = sum(v for k, v in _symbol_sizes(elf).items() if k in names)
    return dict(flash=flash, weights=weights, code=flash - weights)


def measured_ram(elf: Path, model, stack: int, arena_used: int) -> dict[str, int]:
    """Peak RAM of the runtime, measured the same way for both: static data (.data + .bss) without
    the benchmark's buffers and, for TFLM, without the unused tail of its arena, plus the stack the
    timed inferences used."""
    sections = _sections(elf)
    symbols = _symbol_sizes(elf)
    static = sections.get(".data", 0) + sections.get(".bss", 0) - sum(symbols.get(n, 0) for n in BENCH_BUFFERS)
    if getattr(model, "runtime", "engine") == "tflm":
        static -= symbols.get("_ZL14tfc_tflm_arena", symbols.get("tfc_tflm_arena", 0)) - arena_used
    return dict(static=static, stack=stack, ram_measured=static + stack)


def measure(key: str, kernels: str, board, *, opt: str, runs: int, layers: bool, keep: Path | None,
            path: Path | None = None, compress_weights: bool = False, tflm_dir: Path | None = None) -> dict:
    """Build and run one model (MLPerf ``key``, or any .tflite ``path``) with one kernel set of our
    engine, or with TFLM built from the tree ``tflm_dir`` (``kernels`` then names it, e.g.
    ``tflm-cmsis-nn``); check the output against TFLM's host interpreter. ``compress_weights``:
    4-bit weights for clustered layers (engine); the board's ``optimize`` preference (engine)."""
    from tfcompress.engine.compiler import compile_tflite
    from tfcompress.engine.macs import op_macs
    from tfcompress.engine.storage_cost import windows
    from tfcompress.harness.profile import op_numbers, profiled_ops
    from tfcompress.tflm import TflmModel

    path = path or MODELS_DIR / TFLM[key]["file"]
    if tflm_dir is not None:
        from tfcompress.project.tflm import prepare_tflm, resolve_tree

        model = prepare_tflm(path, resolve_tree(tflm_dir))
    else:
        model = compile_tflite(path, kernels=kernels, compress_weights=compress_weights,
                               optimize=getattr(board, "optimize", "balanced"))
    work = Path(tempfile.mkdtemp(prefix=f"tfcbench-{key}-{kernels}-"))
    try:
        elf = build_firmware(model, board, work, opt=opt, runs=runs, layers=layers)
        out = run_qemu(board, elf)
        m = _BENCH.search(out)
        if not m:
            raise RuntimeError(f"no TFC_BENCH line in the firmware output: {out[-2000:]}")
        ticks, n, stack, arena_used = (int(m.group(k)) for k in range(1, 5))
        device = np.frombuffer(bytes.fromhex(m.group(5)), np.uint8)
        x = bench_input(model.input.nbytes).view(model.input.np_dtype).reshape(model.input.shape)
        want = TflmModel(model.model_bytes).run(x).reshape(-1).view(np.uint8)
        sizes = code_and_weights(elf, model)
        tflm = tflm_dir is not None
        res = dict(model=key, kernels=kernels, runtime="tflm" if tflm else "engine", board=board.name, opt=opt,
                   runs=n, instructions=ticks / board.counter.ticks_per_unit / n,
                   mismatches=int((device != want).sum()) if device.size == want.size else -1,
                   # planned: ours = arena + scratch + state; TFLM = arena_used_bytes() on the device
                   ram=arena_used if tflm else model.ram_bytes, arena=arena_used if tflm else model.plan.arena_bytes,
                   scratch=0 if tflm else scratch_bytes(model), **measured_ram(elf, model, stack, arena_used),
                   **sizes)
        if layers:  # ``index``: the profiling slot (model.c's call); ``ops``: the TFLite ops it covers
            per = {int(a): int(b) / board.counter.ticks_per_unit / n for a, b in _LAYER.findall(out)}
            res["layers"] = [dict(index=i, ops=op_numbers(p["tflite_ops"]), op=lo.op.name, kernel=lo.kernel,
                                  instructions=per.get(i, 0.0), macs=op_macs(lo), windows=windows(lo),
                                  outputs=int(np.prod(p["output"].shape)) if p["output"] is not None else 0)
                             for i, (lo, p) in enumerate(zip(model.lowered, profiled_ops(model), strict=True))]
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


#: which TFLM kernels each of our kernel sets is compared with
PAIR = {"optimized": "cmsis-nn", "reference": "reference"}


def _tflm_trees(args: argparse.Namespace) -> dict[str, Path]:
    trees = dict(TFLM_TREES)
    for spec in args.tflm_dir or []:
        kernels, _, path = spec.partition("=")
        if kernels not in trees or not path:
            raise SystemExit(f"--tflm-dir takes KERNELS=PATH with KERNELS one of {', '.join(trees)}, got {spec!r}")
        trees[kernels] = Path(path)
    return {k: trees[k] for k in args.tflm_kernels}


def _compare(rows: list[dict]) -> None:
    """Ratios ours/TFLM from this run (our optimised set vs TFLM + CMSIS-NN, our reference set vs
    TFLM reference), the goals, and DESIGN.md section 6 as a cross-check of the TFLM rows."""
    for r in rows:
        t = TFLM[r["model"]]
        r.update(macs=t["macs"], instr_per_mac=r["instructions"] / t["macs"])
        if r["runtime"] == "tflm":
            stored = t["cmsis"] if r["kernels"] == "tflm-cmsis-nn" else t["ref"]
            r["design"] = dict(instructions=stored, vs_measured=r["instructions"] / stored,
                               arena=t["arena"] if r["kernels"] == "tflm-cmsis-nn" else None)
            continue
        pair = next((x for x in rows if x["model"] == r["model"] and x["kernels"] == f"tflm-{PAIR.get(r['kernels'])}"),
                    None)
        cmsis = next((x for x in rows if x["model"] == r["model"] and x["kernels"] == "tflm-cmsis-nn"), None)
        if pair is not None:
            r["vs_tflm"] = dict(kernels=pair["kernels"], instructions=r["instructions"] / pair["instructions"],
                                ram=r["ram_measured"] / pair["ram_measured"], code=r["code"] / pair["code"])
        if r["kernels"] == "reference":  # the goals are the optimised set's; reference is the exactness baseline
            continue
        # the goals (DESIGN.md section 6): <= 0.6x TFLM + CMSIS-NN, measured in this run when it was
        base_instr, base_arena = (cmsis["instructions"], cmsis["arena"]) if cmsis else (t["cmsis"], t["arena"])
        r.update(tflm_cmsis=base_instr, vs_cmsis=r["instructions"] / base_instr, goal=GOAL_RATIO * base_instr,
                 meets_goal=r["instructions"] <= GOAL_RATIO * base_instr, tflm_arena=base_arena,
                 ram_vs_arena=r["ram"] / base_arena, meets_ram=r["ram"] <= GOAL_RATIO * base_arena,
                 tflm_source="this run" if cmsis else "DESIGN.md section 6")
        if "size_opt" in r:
            r["meets_code"] = r["size_opt"]["code"] <= CODE_GOAL


#: the options that take a compiler optimisation level
LEVEL_OPTIONS = ("--opt", "--size-opt")
LEVELS = ("-O0", "-O1", "-O2", "-O3", "-Os", "-Oz", "-Og", "-Ofast")


def opt_level(value: str) -> str:
    """A compiler optimisation level, ``-Os`` or ``Os`` (argparse type); '' stays '' (skip)."""
    level = value if value.startswith("-") or not value else f"-{value}"
    if level and level not in LEVELS:
        raise argparse.ArgumentTypeError(f"{value!r} is not an optimisation level: use one of {', '.join(LEVELS)}")
    return level


def join_level_args(argv: list[str]) -> list[str]:
    """``argv`` with ``--opt -Os`` (space form) joined into ``--opt=-Os``: argparse would read a value
    starting with '-' as an option and reject ``--opt`` as missing its argument."""
    out: list[str] = []
    it = iter(argv)
    for arg in it:
        if arg in LEVEL_OPTIONS:
            value = next(it, None)
            out.append(arg if value is None else f"{arg}={value}")
        else:
            out.append(arg)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", default="mps2-an500")
    ap.add_argument("--models", nargs="+", default=list(TFLM), choices=list(TFLM))
    ap.add_argument("--runtimes", nargs="+", default=["tflm", "engine"], choices=["engine", "tflm"])
    ap.add_argument("--kernels", nargs="+", default=["reference", "optimized"], help="our kernel sets")
    ap.add_argument("--tflm-kernels", nargs="+", default=list(TFLM_TREES), choices=list(TFLM_TREES),
                    help="TFLM trees to measure")
    ap.add_argument("--tflm-dir", action="append", metavar="KERNELS=PATH",
                    help="a TFLM tree made by create_tflm_tree.py, e.g. cmsis-nn=/path/to/tree (default: "
                         "../shared/tflm/<kernels>)")
    ap.add_argument("--opt", default="-O2", type=opt_level,
                    help="optimisation level of the instruction count build (-O2, -Os, -O3; or O2, Os, O3)")
    ap.add_argument("--optimize", choices=["speed", "balanced", "size"], default=None,
                    help="the engine's speed/size preference (engine/optimize.py; default: the board file's)")
    ap.add_argument("--size-opt", default="-Os", type=opt_level,
                    help="optimisation level of our code-size build ('' to skip)")
    ap.add_argument("--runs", type=int, default=1, help="timed inferences after the warm-up")
    ap.add_argument("--layers", action="store_true", help="per-layer instruction counts (separate build; engine)")
    ap.add_argument("--keep", type=Path, help="keep the generated projects under this directory")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout instead of the lines and table")
    ap.add_argument("--markdown", action="store_true", help="also print the README's table (Markdown)")
    args = ap.parse_args(join_level_args(sys.argv[1:] if argv is None else argv))

    from tfcompress.boards import load_board, with_optimize
    from tfcompress.errors import TfcError

    board = with_optimize(load_board(args.board), args.optimize)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    trees: dict[str, Path] = {}
    if "tflm" in args.runtimes:
        from tfcompress.project.tflm import resolve_tree

        for kernels, path in _tflm_trees(args).items():
            try:
                trees[kernels] = resolve_tree(path).path
            except TfcError as err:
                print(f"skipping TFLM {kernels}: {err.line()}", file=sys.stderr, flush=True)
    rows = []
    for key in args.models:
        todo = [(f"tflm-{k}", tree) for k, tree in trees.items()]
        todo += [(k, None) for k in args.kernels] if "engine" in args.runtimes else []
        for kernels, tree in todo:
            r = measure(key, kernels, board, opt=args.opt, runs=args.runs, layers=False, keep=args.keep,
                        tflm_dir=tree)
            if args.size_opt and tree is None:
                s = measure(key, kernels, board, opt=args.size_opt, runs=1, layers=False, keep=None)
                r["size_opt"] = dict(opt=args.size_opt, code=s["code"], weights=s["weights"],
                                     instructions=s["instructions"], mismatches=s["mismatches"])
            if args.layers and tree is None:
                r["layers"] = measure(key, kernels, board, opt=args.opt, runs=args.runs, layers=True,
                                      keep=None)["layers"]
            rows.append(r)
            _compare([x for x in rows if x["model"] == key])
            if not args.json:
                _print_row(r)
    if args.json:
        print(json.dumps(dict(board=board.name, tflm_trees={k: str(v) for k, v in trees.items()}, results=rows),
                         indent=2))
    else:
        print(_summary(rows, args.size_opt))
        if args.markdown:
            print()
            print(markdown_table(rows, board.name, args.opt, args.size_opt))
    return 0 if all(r["mismatches"] == 0 and r.get("size_opt", {}).get("mismatches", 0) == 0
                    for r in rows) else 1


def _label(r: dict) -> str:
    names = {"tflm-reference": "TFLM reference", "tflm-cmsis-nn": "TFLM + CMSIS-NN",
             "reference": "ours, reference", "optimized": "ours, optimised"}
    return names.get(r["kernels"], r["kernels"])


def _summary(rows: list[dict], size_opt: str | None) -> str:
    """One table of every measured model and runtime: instructions, RAM, code, the ratios ours/TFLM
    from this run, the goals, and DESIGN.md section 6's TFLM figures as a cross-check."""
    from tfcompress.console import format_table

    def mark(ok: bool | None) -> str:
        return "-" if ok is None else ("ok" if ok else "MISSED")

    def ratio(x: float | None) -> object:
        return "-" if x is None else round(x, 3)

    table = []
    for r in rows:
        so = r.get("size_opt", {})
        vs = r.get("vs_tflm", {})
        design = r.get("design", {})
        table.append({
            "model": r["model"], "runtime": _label(r), "instr (M)": round(r["instructions"] / 1e6, 3),
            "instr/MAC": round(r["instr_per_mac"], 2), "RAM (B)": r["ram_measured"],
            "static + stack": f"{r['static']} + {r['stack']}", "arena/plan (B)": r["ram"],
            f"code {r['opt']} (B)": r["code"], **({f"code {size_opt} (B)": so.get("code", "-")} if size_opt else {}),
            "weights (B)": r["weights"], "mismatches": r["mismatches"],
            "ours/TFLM instr": ratio(vs.get("instructions")), "RAM": ratio(vs.get("ram")), "code": ratio(vs.get("code")),
            "<=0.6x": mark(r.get("meets_goal")), "RAM <=0.6x": mark(r.get("meets_ram")),
            "code <=16 KB": mark(r.get("meets_code")),
            "§6 TFLM (M)": round(design["instructions"] / 1e6, 2) if design else "-",
            "measured/§6": ratio(design.get("vs_measured")),
        })
    return format_table(table)


def markdown_table(rows: list[dict], board: str, opt: str, size_opt: str | None) -> str:
    """The README's table: every runtime of every model, measured in this run, with ours/TFLM."""
    lines = [f"| model | runtime ({board}, {opt}) | instructions | per MAC | peak RAM | code | ours / TFLM: "
             "instructions, RAM, code |", "|---|---|---|---|---|---|---|"]
    names = {"ic": "IC ResNet-8", "vww": "VWW MobileNetV1", "kws": "KWS DS-CNN", "ad": "AD autoencoder"}
    for r in rows:
        vs = r.get("vs_tflm")
        ratios = (f"{vs['instructions']:.2f}x, {vs['ram']:.2f}x, {vs['code']:.2f}x" if vs else "")
        code = f"{r['code'] / 1024:.1f} KB"
        if r.get("size_opt") and size_opt:
            code += f" ({r['size_opt']['code'] / 1024:.1f} KB {size_opt})"
        lines.append(f"| {names.get(r['model'], r['model'])} | {_label(r)} | {r['instructions'] / 1e6:.2f} M | "
                     f"{r['instr_per_mac']:.2f} | {r['ram_measured']:,} B | {code} | {ratios} |")
    return "\n".join(lines)


def _print_row(r: dict) -> None:
    so = r.get("size_opt", {})
    vs = r.get("vs_tflm")
    versus = (f" -> x{vs['instructions']:.3f} instr, x{vs['ram']:.3f} RAM, x{vs['code']:.3f} code vs {vs['kernels']}"
              if vs else "")
    size_build = f", {so['code']} B ({so['opt']})" if so else ""
    design = r.get("design")
    cross = f"  (DESIGN.md 6: {design['instructions'] / 1e6:.2f} M, measured/stored {design['vs_measured']:.3f})" \
        if design else ""
    print(f"{r['model']:4s} {r['kernels']:14s} {r['board']} {r['opt']}: {r['instructions'] / 1e6:8.3f} M instr "
          f"({r['instr_per_mac']:.2f}/MAC){versus}{cross}  mismatches {r['mismatches']}  RAM {r['ram_measured']} B "
          f"(static {r['static']} + stack {r['stack']}; arena/plan {r['ram']})  code {r['code']} B ({r['opt']})"
          f"{size_build}  weights {r['weights']} B", flush=True)
    for layer in r.get("layers", []):
        macs = layer["macs"]
        per = f"{layer['instructions'] / macs:.2f}/MAC" if macs else ""
        print(f"    #{layer['ops']:>5s} {layer['op']:18s} {layer['kernel']:26s} {layer['instructions']:11.0f} "
              f"{macs:9d} MAC {per}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
