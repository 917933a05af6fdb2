"""Resumable evaluation of many inputs on a device, with an on-disk journal."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tfcompress.errors import TfcError
from tfcompress.harness.client import HarnessClient, RunResult


@dataclass
class SampleResult:
    """The output and counter reading for one input."""

    index: int
    output: bytes
    count: int  # minimum over the timed repeats, raw counter ticks


class Journal:
    """Append-only JSONL record of finished samples, so an interrupted run resumes."""

    def __init__(self, path: Path, header: dict) -> None:
        self.path = Path(path)
        self.header = header
        self.done: dict[int, SampleResult] = {}
        if self.path.is_file():
            lines = self.path.read_text(encoding="utf-8").splitlines()
            if lines:
                old = json.loads(lines[0])
                if old != header:
                    raise TfcError(
                        f"{self.path} records an evaluation of a different model/data/board",
                        "delete it or pass --force to start over",
                    )
                for line in lines[1:]:
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError:  # a line cut short by the interruption
                        continue
                    self.done[rec["i"]] = SampleResult(rec["i"], bytes.fromhex(rec["out"]), rec["count"])
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(header) + "\n", encoding="utf-8")

    def add(self, r: SampleResult) -> None:
        self.done[r.index] = r
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"i": r.index, "out": r.output.hex(), "count": r.count}) + "\n")


def run_samples(
    client: HarnessClient,
    inputs: Sequence[bytes],
    *,
    journal: Journal | None = None,
    warmup: int = 0,
    repeat: int = 1,
    on_sample: Callable[[int], None] | None = None,
) -> list[SampleResult]:
    """Run every input (skipping those the journal already holds) and return results in order."""
    results: dict[int, SampleResult] = dict(journal.done) if journal else {}
    for i, data in enumerate(inputs):
        if i not in results:
            r: RunResult = client.infer(data, warmup=warmup, repeat=repeat)
            results[i] = SampleResult(i, r.output, r.count_min)
            if journal:
                journal.add(results[i])
        if on_sample:
            on_sample(i)
    return [results[i] for i in range(len(inputs))]
