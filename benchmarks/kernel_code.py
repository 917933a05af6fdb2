"""Flash of each optimised kernel's code, at -O2 and -Os: the tables ``engine/storage_cost.py``
keeps (``KERNEL_CODE``, ``SOURCE_CODE``) to weigh the code a weight-storage choice links into a model.

Every kernel of the optimised set (``engine/optimized/__init__.py``: C function -> source) is
compiled alone with the board's flags (``-ffunction-sections``, as the firmware Makefile) and
linked with ``--gc-sections`` from the kernel as the entry point: the bytes of ``.text`` +
``.rodata`` are the kernel and the static helpers and tables of its source it reaches (calls into
other sources and libc are not counted); per source, all its kernels linked together (what they
share counts once). Compiled without a model's ``tfc_variants.h``, so with every kernel variant
(engine/optimized/variants.py: a model links at most these bytes). Usage:

    .venv/bin/python benchmarks/kernel_code.py                      # table, mps2-an500
    .venv/bin/python benchmarks/kernel_code.py --python             # the dict for storage_cost.py
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LEVELS = ("-O2", "-Os")


def kernels() -> dict[str, str]:
    """C kernel -> source (under firmware/engine/) of every kernel of the optimised set."""
    from tfcompress.engine.optimized import KERNEL_SET

    return {name: v.source for name, v in sorted(KERNEL_SET.variants.items())}


def code_bytes(engine: Path, source: str, functions: list[str], arch: list[str], opt: str,
               work: Path) -> int | None:
    """Linked .text + .rodata bytes of ``functions`` from ``source`` together (None: one is not
    defined there)."""
    obj, elf = work / "k.o", work / "k.elf"
    subprocess.run(["arm-none-eabi-gcc", *arch, opt, "-std=gnu11", "-ffunction-sections", "-fdata-sections",
                    f"-I{engine}", f"-I{engine / 'optimized'}", "-c", str(engine / source), "-o", str(obj)],
                   check=True, capture_output=True, text=True)
    nm = subprocess.run(["arm-none-eabi-nm", str(obj)], check=True, capture_output=True, text=True).stdout
    defined = {line.split()[-1] for line in nm.splitlines() if " T " in line}
    if not set(functions) <= defined:
        return None
    keep = [f"-Wl,--undefined={f}" for f in functions[1:]]
    subprocess.run(["arm-none-eabi-gcc", *arch, "-nostdlib", "-nostartfiles", "-Wl,--gc-sections",
                    f"-Wl,-e,{functions[0]}", *keep, "-Wl,--unresolved-symbols=ignore-all", str(obj), "-o", str(elf)],
                   check=True, capture_output=True, text=True)
    size = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], check=True, capture_output=True, text=True).stdout
    return sum(int(p[1]) for p in (ln.split() for ln in size.splitlines())
               if len(p) >= 2 and p[0] in (".text", ".rodata") and p[1].isdigit())


def measure(board_name: str) -> tuple[dict[str, dict[str, object]], dict[str, dict[str, int]]]:
    """kernel -> {"source", opt level: bytes}, and source -> {opt level: bytes of all its kernels
    linked together (shared helpers once)} for the board's core."""
    from tfcompress.boards import load_board
    from tfcompress.engine.kernel_limits import write_headers
    from tfcompress.resources import engine_kernels_dir

    board = load_board(board_name)
    arch = [f"-mcpu={board.core}", "-mthumb", f"-mfpu={board.fpu}", f"-mfloat-abi={board.float_abi}"]
    out: dict[str, dict[str, object]] = {}
    sources: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        engine = Path(tmp) / "engine"
        shutil.copytree(engine_kernels_dir(), engine)
        write_headers("optimized", engine)
        for function, source in kernels().items():
            sizes = {opt: code_bytes(engine, source, [function], arch, opt, Path(tmp)) for opt in LEVELS}
            if all(v is not None for v in sizes.values()):
                out[function] = {"source": source, **{k: int(v) for k, v in sizes.items() if v is not None}}
            else:  # a name the set's preparation replaces (e.g. tfc_conv2d_s8_w4 -> tfc_conv2d_s8_dec_w4)
                print(f"skip {function}: not defined in {source}", file=sys.stderr)
        for source in sorted({str(v["source"]) for v in out.values()}):
            fns = [k for k, v in out.items() if v["source"] == source]
            sources[source] = {opt: int(code_bytes(engine, source, fns, arch, opt, Path(tmp)) or 0) for opt in LEVELS}
    return out, sources


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", default="mps2-an500")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    ap.add_argument("--python", action="store_true", help="print the table as storage_cost.KERNEL_CODE's dict")
    args = ap.parse_args(argv)
    table, sources = measure(args.board)
    if args.json:
        print(json.dumps(dict(board=args.board, code=table, sources=sources)))
    elif args.python:
        print("KERNEL_CODE = {")
        for k, v in table.items():
            print(f'    "{k}": ("{v["source"]}", {v["-O2"]}, {v["-Os"]}),')
        print("}\nSOURCE_CODE = {")
        for k, w in sources.items():
            print(f'    "{k}": ({w["-O2"]}, {w["-Os"]}),')
        print("}")
    else:
        for k, v in table.items():
            print(f"{k:40s} {v['-O2']:7d} {v['-Os']:7d}  {v['source']}")
        for k, w in sources.items():
            print(f"{k:40s} {w['-O2']:7d} {w['-Os']:7d}  (all its kernels)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
