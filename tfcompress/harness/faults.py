"""A transport wrapper that injects faults (drops, duplicates, corruptions, delays) for testing."""

from __future__ import annotations

import random
import time

from tfcompress.harness.transport import Transport


class FaultyTransport:
    """Wrap a transport and damage whole frames at the given rates, in both directions.

    Host-to-device damage applies per write (one frame); device-to-host bytes are
    regrouped into frames (up to each 0x00 delimiter) and each frame is damaged with the
    same probabilities, so the rates mean the same thing both ways.
    """

    def __init__(
        self,
        inner: Transport,
        *,
        seed: int = 0,
        drop: float = 0.0,
        duplicate: float = 0.0,
        corrupt: float = 0.0,
        delay: float = 0.0,
        max_delay: float = 0.05,
        fail_after_writes: int | None = None,
    ) -> None:
        self.inner = inner
        self.name = f"faulty({inner.name})"
        self.rng = random.Random(seed)
        self.drop, self.duplicate, self.corrupt, self.delay = drop, duplicate, corrupt, delay
        self.max_delay = max_delay
        self.fail_after_writes = fail_after_writes
        self.writes = 0
        self._rx = bytearray()
        self.injected = {"drop": 0, "duplicate": 0, "corrupt": 0, "delay": 0}

    def _damage(self, data: bytes) -> bytes:
        r = self.rng
        if data and r.random() < self.drop:
            self.injected["drop"] += 1
            cut = r.randrange(len(data))
            return data[:cut] + data[cut + r.randint(1, 8):]
        if data and r.random() < self.corrupt:
            self.injected["corrupt"] += 1
            b = bytearray(data)
            b[r.randrange(len(b))] ^= 1 << r.randrange(8)
            return bytes(b)
        if data and r.random() < self.duplicate:
            self.injected["duplicate"] += 1
            return data + data
        return data

    def write(self, data: bytes) -> None:
        self.writes += 1
        if self.fail_after_writes is not None and self.writes > self.fail_after_writes:
            raise ConnectionError("injected link failure")
        if self.rng.random() < self.delay:
            self.injected["delay"] += 1
            time.sleep(self.rng.uniform(0, self.max_delay))
        self.inner.write(self._damage(data))

    def read(self, size: int, timeout: float) -> bytes:
        self._rx += self.inner.read(size, timeout)
        cut = self._rx.rfind(b"\x00")
        if cut < 0:
            return b""
        frames, self._rx = bytes(self._rx[: cut + 1]), self._rx[cut + 1 :]
        return b"".join(self._damage(f + b"\x00") for f in frames[:-1].split(b"\x00"))

    def close(self) -> None:
        self.inner.close()
