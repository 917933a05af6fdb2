"""Resumable evaluation of many inputs on a device, with an on-disk journal."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfcompress.errors import TfcError
from tfcompress.harness.client import HarnessClient, RunResult

#: journal format: 2 records every output of a sample (1: one output, as one hex string)
JOURNAL_FORMAT = 2
#: header keys that record facts about the device (Journal.note), not what was evaluated
NOTES = frozenset({"arena_used_bytes", "device"})


@dataclass
class SampleResult:
    """Every output and the counter reading for one sample."""

    index: int
    outputs: list[bytes]
    count: int  # minimum over the timed repeats, raw counter ticks

    @property
    def output(self) -> bytes:
        """Output 0 (single-output models)."""
        return self.outputs[0]


class Journal:
    """Append-only JSONL record of finished samples, so an interrupted run resumes.

    Line 1 is ``header`` (plus the journal format); each further line is one sample:
    ``{"i": index, "out": [hex of output 0, hex of output 1, ...], "count": ticks}``."""

    def __init__(self, path: Path, header: dict) -> None:
        self.path = Path(path)
        self.header = {"format": JOURNAL_FORMAT, **header}
        self.done: dict[int, SampleResult] = {}
        if self.path.is_file():
            lines = self.path.read_text(encoding="utf-8").splitlines()
            if lines:
                old = json.loads(lines[0])
                if old.get("format") != JOURNAL_FORMAT:
                    raise TfcError(
                        f"{self.path} is a journal of an older tfcompress (format {old.get('format', 1)}, "
                        f"this one writes {JOURNAL_FORMAT})",
                        "delete it or pass --force to start over",
                    )
                noted = {k: v for k, v in old.items() if k in NOTES}
                if {k: v for k, v in old.items() if k not in NOTES} != self.header:
                    raise TfcError(
                        f"{self.path} records an evaluation of a different model/data/board",
                        "delete it or pass --force to start over",
                    )
                self.header.update(noted)
                for line in lines[1:]:
                    try:
                        rec = json.loads(line)
                        r = SampleResult(rec["i"], [bytes.fromhex(h) for h in rec["out"]], rec["count"])
                    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                        continue  # a line cut short by the interruption
                    self.done[r.index] = r
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self.header) + "\n", encoding="utf-8")

    def note(self, key: str, value: Any) -> None:
        """Keep a fact about the device (e.g. TFLM's arena use) in the journal's first line, so a
        finished evaluation reports it without the device."""
        if self.header.get(key) == value:
            return
        self.header[key] = value
        lines = self.path.read_text(encoding="utf-8").splitlines()
        lines[0] = json.dumps(self.header)
        self.path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def add(self, r: SampleResult) -> None:
        self.done[r.index] = r
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"i": r.index, "out": [o.hex() for o in r.outputs], "count": r.count}) + "\n")


def run_samples(
    client: HarnessClient,
    inputs: Sequence[Sequence[bytes] | bytes],
    *,
    journal: Journal | None = None,
    warmup: int = 0,
    repeat: int = 1,
    on_sample: Callable[[int], None] | None = None,
) -> list[SampleResult]:
    """Run every sample (one ``bytes`` per model input, or one ``bytes`` for a single-input
    model), skipping those the journal already holds, and return the results in order."""
    results: dict[int, SampleResult] = dict(journal.done) if journal else {}
    for i, data in enumerate(inputs):
        if i not in results:
            r: RunResult = client.infer(data, warmup=warmup, repeat=repeat)
            results[i] = SampleResult(i, r.outputs, r.count_min)
            if journal:
                journal.add(results[i])
        if on_sample:
            on_sample(i)
    return [results[i] for i in range(len(inputs))]
