"""Ship the firmware C sources and Jinja2 templates inside the wheel (as ``tfcompress/_data/``).

They live at the repository top level (DESIGN.md §2); an editable install finds them there,
a wheel carries a copy so ``pip install .`` works outside the repository.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA_DIRS = ("firmware", "templates")


class BuildPyWithData(build_py):
    """build_py that also copies firmware/ and templates/ into the built package."""

    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "tfcompress" / "_data"
        for name in DATA_DIRS:
            dest = target / name
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(root / name, dest, ignore=shutil.ignore_patterns("*.o", "*.elf", "*.so", "__pycache__"))


setup(cmdclass={"build_py": BuildPyWithData})
