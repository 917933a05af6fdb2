"""Where trials run: a local process pool, or Ray (a local instance or an existing cluster).

Both hand back :class:`concurrent.futures.Future` objects of :func:`tfcompress.sweep.trial.run_trial`
results, so the sweep loop does not care which one it has.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from tfcompress.console import log
from tfcompress.errors import TfcError
from tfcompress.sweep.trial import run_trial

EXECUTORS = ("auto", "ray", "local")
RAY_EXTRA = "pip install 'tfcompress[ray]'"


def ray_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("ray") is not None


class LocalExecutor:
    """Trials in ``workers`` fresh processes (spawned: no TensorFlow state is inherited)."""

    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))

    def submit(self, job: dict[str, Any]) -> Future:
        try:
            return self._pool.submit(run_trial, job)
        except RuntimeError:  # a worker died (killed, out of memory): the pool is broken, start another
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            return self._pool.submit(run_trial, job)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class RayExecutor:
    """Trials as Ray tasks (one CPU each) on a local instance or the cluster at ``address``."""

    name = "ray"

    def __init__(self, workers: int | None, address: str | None) -> None:
        import ray

        self._ray = ray
        try:
            if address:  # the nodes have tfcompress installed; nothing of this machine's environment is sent
                ray.init(address=address, log_to_driver=False)
                cpus = int(ray.cluster_resources().get("CPU", 1))
                self.workers = workers or cpus
                log(f"sweep: Ray cluster at {address}: {cpus} CPUs, up to {self.workers} trials at once")
            else:  # local workers import tfcompress from where this process does
                env = {"env_vars": {k: os.environ[k] for k in ("PYTHONPATH",) if k in os.environ}}
                self.workers = workers or os.cpu_count() or 1
                ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False, runtime_env=env)
                log(f"sweep: local Ray instance with {self.workers} worker(s)")
        except (ConnectionError, RuntimeError, ValueError) as err:
            where = f"the Ray cluster at {address}" if address else "a local Ray instance"
            raise TfcError(f"cannot start or reach {where}: {str(err).splitlines()[0] if str(err) else err!r}",
                           "check --address (ray://HOST:10001, or auto on a node of a running cluster)"
                           if address else "try --executor local") from None
        self._task = ray.remote(num_cpus=1, max_retries=0)(run_trial)

    def submit(self, job: dict[str, Any]) -> Future:
        return self._task.remote(job).future()

    def close(self) -> None:
        self._ray.shutdown()


def make_executor(kind: str, workers: int | None, address: str | None) -> LocalExecutor | RayExecutor:
    """The executor ``kind`` (auto: Ray when installed, else the local pool)."""
    if kind not in EXECUTORS:
        raise TfcError(f"unknown executor '{kind}'", f"choose one of: {', '.join(EXECUTORS)}")
    if kind == "local" and address:
        raise TfcError("--address needs the Ray executor", "drop --executor local, or drop --address")
    wants_ray = kind == "ray" or address is not None
    if wants_ray and not ray_available():
        raise TfcError("the Ray executor needs Ray, which is not installed", RAY_EXTRA)
    if kind == "auto" and not wants_ray:
        wants_ray = ray_available()
        if not wants_ray:
            log(f"sweep: Ray is not installed, running trials in a local process pool ({RAY_EXTRA} for Ray)")
    if wants_ray:
        return RayExecutor(workers, address)
    return LocalExecutor(workers or os.cpu_count() or 1)
