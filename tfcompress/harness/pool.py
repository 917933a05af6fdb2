"""Run jobs (one variant's build + evaluation each) on a pool of devices, several at a time.

A device is an emulator slot (every job starts its own QEMU; ``--jobs N`` gives N slots) or a real
board on a serial port (a board farm: ``PORT=BOARD`` pairs). Each device takes the next job; the
results come back in job order, whatever order they finish in. A farm board that stops answering
(:class:`~tfcompress.harness.transport.LinkError` after the client's retries) is taken out of the
pool with the reason logged and its job goes back to the queue for another board; the job resumes
from its journal there, so no measured sample is lost.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from tfcompress.console import log
from tfcompress.errors import TfcError
from tfcompress.harness.transport import LinkError

T = TypeVar("T")
R = TypeVar("R")

#: a job that made this many boards stop answering is not given to another one (it hangs them)
MAX_LOSSES_PER_JOB = 2


@dataclass(frozen=True)
class Device:
    """Where a job runs: an emulator slot (``port`` None) or a real board on ``port``.

    ``farm``: a farm board, flashed with each job's firmware before it is measured (a board given
    by ``--port`` alone is measured with whatever it runs); ``probe``: its debug probe's serial
    number, to flash the right one of several boards."""

    board: str
    port: str | None = None
    slot: int = 0
    farm: bool = False
    probe: str | None = None

    @property
    def name(self) -> str:
        return self.port or f"emulator {self.slot + 1}"


def farm_flasher(board: Any, dev: Device) -> Callable[[Path], None] | None:
    """How a job puts its firmware on ``dev``: flashing through its probe (farm boards); None for
    emulator slots and a board given by --port (measured with what it runs)."""
    if not dev.farm:
        return None
    from tfcompress.project.flash import flash

    return lambda elf: flash(board, elf, probe=dev.probe)  # noqa: E731 - returned, not assigned


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def parse_farm(entries: Sequence[str], where: str = "--farm") -> list[Device]:
    """``PORT=BOARD`` (or ``PORT=BOARD@PROBE``, the probe's serial number) entries -> farm devices.

    Every board of a farm must be the same board (one firmware build per variant serves them all,
    and the results are that board's); a port may appear once."""
    from tfcompress.boards import load_board

    devices: list[Device] = []
    for i, entry in enumerate(entries):
        port, eq, rest = str(entry).rpartition("=")
        board, _, probe = rest.partition("@")
        if not eq or not port.strip() or not board.strip():
            raise TfcError(f"{where} entry {entry!r} is not PORT=BOARD",
                           "e.g. /dev/ttyACM0=stm32h747i-disco (or /dev/ttyACM0=stm32h747i-disco@PROBE_SERIAL)")
        b = load_board(board.strip())
        if b.emulated:
            raise TfcError(f"{where} entry {entry!r} names emulated board {b.name}",
                           f"emulated boards need no farm: use --jobs N for N emulators of {b.name}")
        if any(d.port == port.strip() for d in devices):
            raise TfcError(f"{where} lists port {port.strip()} twice", "give each board its own port")
        devices.append(Device(b.name, port.strip(), i, farm=True, probe=probe.strip() or None))
    boards = sorted({d.board for d in devices})
    if len(boards) > 1:
        raise TfcError(f"{where} mixes boards ({', '.join(boards)}): a farm measures one board",
                       "give every entry the same board, and run one pipeline per board type")
    return devices


def farm_board(devices: Sequence[Device], board: str | None, where: str = "--farm") -> str | None:
    """The farm's board, checked against ``board`` (given by --board or the recipe) when both are."""
    if not devices:
        return board
    if board and board != devices[0].board:
        raise TfcError(f"{where} is of {devices[0].board} boards, but the board to measure is {board}",
                       f"pass --board {devices[0].board} (or leave it out), or a farm of {board} boards")
    return devices[0].board


def emulator_slots(board: str, jobs: int) -> list[Device]:
    """``jobs`` emulator slots of ``board``."""
    if jobs < 1:
        raise TfcError(f"--jobs must be at least 1, got {jobs}", "e.g. --jobs 2")
    return [Device(board, None, i) for i in range(jobs)]


def pick_devices(board: str | None, *, port: str | None = None, jobs: int | None = None,
                 farm: Sequence[str] = (), where: str = "--farm") -> tuple[str, list[Device]]:
    """(the board to measure, the devices): the ``farm``'s boards; else the board on ``port``; else
    ``jobs`` (default: one per core) emulator slots of ``board``."""
    if farm:
        if port:
            raise TfcError("pass either --port (one board) or a board farm, not both",
                           "list that board among the farm's PORT=BOARD entries")
        devices = parse_farm(farm, where)
        if jobs:
            log(f"  board farm: one job per board at a time ({len(devices)}); jobs = {jobs} applies to emulators")
        return str(farm_board(devices, board, where)), devices
    if not board:
        raise TfcError("no board given", "pass --board NAME (see tfcompress boards), or --farm PORT=BOARD")
    if port:
        return board, [Device(board, port)]
    return board, emulator_slots(board, jobs or default_jobs())


class _Queue(Generic[T, R]):
    """The shared state of one :func:`run_jobs` call (guarded by ``cond``)."""

    def __init__(self, n: int, devices: int) -> None:
        self.cond = threading.Condition()
        self.pending: deque[int] = deque(range(n))
        self.running = 0
        self.alive = devices
        self.results: dict[int, R] = {}
        self.failed: dict[int, BaseException] = {}
        self.lost: list[str] = []  # "PORT (reason)" of every board taken out
        self.losses: dict[int, int] = {}

    def take(self) -> int | None:
        """The next job, waiting while another device's job may still come back; None: stop."""
        with self.cond:
            while not self.pending and self.running and not self.failed:
                self.cond.wait()
            if self.failed or not self.pending:
                return None
            self.running += 1
            return self.pending.popleft()


def run_jobs(jobs: Sequence[T], devices: Sequence[Device], work: Callable[[T, Device], R], *,
             label: Callable[[T], str] = str) -> list[R]:
    """``work(job, device)`` for every job, each device running one job at a time; the results in
    job order. The first failure (by job order) is raised once the running jobs have finished (none
    is started after it); a farm board whose link fails is taken out and its job re-queued; when
    every board is out, a TfcError names them and the unfinished jobs."""
    if not devices:
        raise TfcError("no device to evaluate on", "pass --jobs N (emulated boards) or --farm PORT=BOARD")
    q: _Queue[T, R] = _Queue(len(jobs), len(devices))

    def worker(dev: Device) -> None:
        while (i := q.take()) is not None:
            try:
                result = work(jobs[i], dev)
            except BaseException as err:  # noqa: BLE001 - handed to the caller's thread
                lost = dev.port is not None and isinstance(err, (LinkError, ConnectionError))
                with q.cond:
                    q.running -= 1
                    if lost:
                        q.losses[i] = q.losses.get(i, 0) + 1
                        reason = err.what if isinstance(err, TfcError) else f"{type(err).__name__}: {err}"
                        q.lost.append(f"{dev.name} ({reason})")
                        q.alive -= 1
                        if q.losses[i] >= MAX_LOSSES_PER_JOB:
                            q.failed[i] = TfcError(f"{label(jobs[i])} made {q.losses[i]} boards stop answering "
                                                   f"(last: {reason})", "the firmware may hang on this model: "
                                                   "check it on one board (tfcompress evaluate --port)")
                        else:
                            q.pending.appendleft(i)
                        again = "" if i in q.failed else f"; {label(jobs[i])} goes to another board"
                        log(f"  {dev.name}: taken out of the farm — {reason}{again}")
                    else:
                        q.failed[i] = err
                    q.cond.notify_all()
                if lost:
                    return
                continue
            with q.cond:
                q.running -= 1
                q.results[i] = result
                q.cond.notify_all()

    if len(devices) == 1 or len(jobs) <= 1:
        worker(devices[0])  # in this thread: progress bars and Ctrl-C behave as without a pool
        if q.pending and not q.failed and q.alive:  # the only board used was lost: try the others
            _run_threads(worker, devices[1:])
    else:  # every device, even with fewer jobs: a spare board takes over a lost one's job
        _run_threads(worker, devices)
    if q.failed:
        raise q.failed[min(q.failed)]
    if len(q.results) < len(jobs):
        unfinished = ", ".join(label(jobs[i]) for i in range(len(jobs)) if i not in q.results)
        raise TfcError(f"every board stopped answering: {'; '.join(q.lost)}; unfinished: {unfinished}",
                       "reconnect or reset the boards and rerun: finished variants and measured samples are kept")
    return [q.results[i] for i in range(len(jobs))]


def _run_threads(worker: Callable[[Device], None], devices: Sequence[Device]) -> None:
    """One daemon thread per device; returns when all have stopped (Ctrl-C stays possible)."""
    threads = [threading.Thread(target=worker, args=(d,), name=f"tfc-{d.name}", daemon=True) for d in devices]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.2)
