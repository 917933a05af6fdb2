"""Write the corpus: the small entries to tests/fixtures/corpus/ (committed) or the large "zoo"
entries to the cache, each with a manifest.json.

    python -m tests.corpus.build                      # committed fixtures (about 6 min on 2 cores)
    python -m tests.corpus.build --only op_conv,svdf  # rebuild matching entries, keep the rest
    python -m tests.corpus.build --zoo                # large models -> ~/.cache/tfcompress/corpus
    python -m tests.corpus.build --list               # names and features, no conversion

Run from the repository root with the package importable (PYTHONPATH=. or an editable install).
Conversion is deterministic for one TensorFlow version (seeded weights and calibration data);
another version may produce different bytes with the same ops, which is what the slow test checks.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .generate import build_many, load_manifest, write_manifest
from .registry import entries

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "corpus"


def cache_dir() -> Path:
    """Where --zoo models go: $TFCOMPRESS_CORPUS_CACHE or ~/.cache/tfcompress/corpus."""
    env = os.environ.get("TFCOMPRESS_CORPUS_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "tfcompress" / "corpus"


def build(out: Path, *, zoo: bool, only: str | None = None, names: list[str] | None = None,
          log=print) -> dict:
    """Build the committed (or zoo) entries whose name contains ``only`` (or exactly ``names``) into
    ``out``; a partial build merges into the existing manifest."""
    partial = bool(only or names)
    pats = [p for p in (only or "").split(",") if p]
    names = names or [e.name for e in entries(zoo=zoo) if not pats or any(p in e.name for p in pats)]
    manifest_path = out / "manifest.json"
    old = load_manifest(manifest_path) if manifest_path.is_file() and partial else None
    result = build_many(names, out, log=log)
    if old is not None:  # a partial rebuild keeps the other entries
        for key in ("models", "not_produced"):
            merged = {k: v for k, v in old.get(key, {}).items() if k not in names}
            merged.update(result[key])
            result[key] = merged
    known = {e.name for e in entries()}
    for key in ("models", "not_produced"):  # entries removed from the registry
        result[key] = {k: v for k, v in result[key].items() if k in known}
    for stale in out.glob("*.tflite"):  # files of entries that no longer exist or failed now
        if stale.stem not in result["models"] and (stale.stem not in known or stale.stem in names):
            stale.unlink()
    write_manifest(manifest_path, result)
    return result


def summarize(manifest: dict) -> str:
    """Counts: models, TFLM-runnable, features, op x activation-type pairs, what was not produced."""
    from collections import Counter

    models = manifest["models"]
    feats = Counter(f for r in models.values() for f in r["features"])
    pairs = {p for r in models.values() for p in r["op_types"]}
    runnable = {p for r in models.values() if r["tflm"]["runs"] for p in r["op_types"]}
    ops = {o for r in models.values() for o in r["ops"]}
    lines = [f"models {len(models)}, TFLM runs {sum(r['tflm']['runs'] for r in models.values())}, "
             f"bytes {sum(r['bytes'] for r in models.values())}",
             f"ops {len(ops)}, op x input-type pairs {len(pairs)} ({len(runnable)} in models TFLM runs)",
             "features: " + ", ".join(f"{k} {v}" for k, v in sorted(feats.items())),
             f"not produced ({len(manifest['not_produced'])}):"]
    lines += [f"  {k}: {v}" for k, v in manifest["not_produced"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.corpus.build", description=__doc__.splitlines()[0])
    ap.add_argument("--zoo", action="store_true", help="build the large entries into the cache instead")
    ap.add_argument("--only", help="only entries whose name contains one of these comma-separated texts")
    ap.add_argument("--out", type=Path, help="output folder (default: tests/fixtures/corpus, or the cache)")
    ap.add_argument("--list", action="store_true", help="list entries and exit")
    ap.add_argument("--summary", action="store_true", help="summarise the manifest (no conversion) and exit")
    args = ap.parse_args(argv)
    if args.summary:
        print(summarize(load_manifest((args.out or (cache_dir() if args.zoo else FIXTURES)) / "manifest.json")))
        return 0
    if args.list:
        for e in entries(zoo=None):
            print(f"{e.name:45s} {','.join(e.features)}")
        return 0
    out = args.out or (cache_dir() if args.zoo else FIXTURES)
    res = build(out, zoo=args.zoo, only=args.only, log=lambda m: print(m, file=sys.stderr, flush=True))
    total = sum((out / r["file"]).stat().st_size for r in res["models"].values())
    runs = sum(r["tflm"]["runs"] for r in res["models"].values())
    print(f"{len(res['models'])} models ({total / 1024:.0f} KiB) in {out}; TFLM runs {runs}; "
          f"{len(res['not_produced'])} entries the converter could not produce")
    return 0


if __name__ == "__main__":
    sys.exit(main())
