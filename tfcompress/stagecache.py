"""A stage cache shared by several run directories (the trials of a sweep).

A stage that is not done in its own run directory looks in the cache for a completed
copy with the same folder and fingerprint and copies it in. When there is none, the
caller takes an exclusive file lock on that entry (so two workers never make the same
stage twice: the second waits, then copies) and publishes the stage when it completes.
Locks are ``flock`` locks: a worker that dies releases them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from tfcompress.console import log

MANIFEST = "manifest.json"


def _complete(manifest: Path, fingerprint: str) -> bool:
    try:
        m = json.loads(manifest.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    return m.get("status") == "complete" and m.get("fingerprint") == fingerprint


class StageCache:
    """``ROOT/<key>/``: completed stage folders, keyed by their folder in the run and fingerprint."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._held: dict[str, int] = {}  # key -> open lock file descriptor

    def key(self, rel_dir: str, fingerprint: str) -> str:
        return hashlib.sha256(f"{rel_dir}\0{fingerprint}".encode()).hexdigest()[:32]

    def fetch(self, rel_dir: str, fingerprint: str, dest: Path) -> bool:
        """Copy a cached stage into ``dest`` (True); else hold the entry's lock until
        :meth:`publish` or :meth:`release_all` (False)."""
        key = self.key(rel_dir, fingerprint)
        if key in self._held:
            return False
        entry = self.root / key
        if not _complete(entry / MANIFEST, fingerprint):  # lock only when it may have to be made
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.root / f"{key}.lock", os.O_CREAT | os.O_RDWR, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits while another worker makes this stage
            if not _complete(entry / MANIFEST, fingerprint):
                self._held[key] = fd
                return False
            os.close(fd)
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(entry, dest)
        log(f"  {rel_dir}: from the shared stage cache")
        return True

    def publish(self, rel_dir: str, fingerprint: str, src: Path) -> None:
        """Store a completed stage folder and release its lock."""
        key = self.key(rel_dir, fingerprint)
        entry = self.root / key
        tmp = self.root / f"{key}.tmp-{os.getpid()}"
        try:
            if not _complete(entry / MANIFEST, fingerprint):
                shutil.rmtree(tmp, ignore_errors=True)
                shutil.copytree(src, tmp)
                shutil.rmtree(entry, ignore_errors=True)
                tmp.replace(entry)
        finally:
            self._release(key)

    def _release(self, key: str) -> None:
        fd = self._held.pop(key, None)
        if fd is not None:
            os.close(fd)  # closing the descriptor drops the flock

    def release_all(self) -> None:
        """Drop every lock this process holds (a trial failed half-way through a stage)."""
        for key in list(self._held):
            self._release(key)

    def to_dict(self) -> dict[str, Any]:
        return {"root": str(self.root)}
