"""Build the project's wheel once per test session; the tests that install it share it."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_built: dict[str, Path] = {}


def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel ``python -m build --wheel`` makes from this checkout (built on first use).

    The build must be clean: any deprecation warning from setuptools (a license classifier, an
    old configuration key) fails here, before a future setuptools turns it into an error.
    pytest-xdist workers share one build: the first builds it under a lock in the run's common
    temporary folder, the others find it there.
    """
    if "wheel" not in _built:
        shared = tmp_path_factory.getbasetemp()
        if os.environ.get("PYTEST_XDIST_WORKER"):
            shared = shared.parent  # the folder all workers of this run have in common
        dist = shared / "wheel-dist"
        with open(shared / "wheel.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not list(dist.glob("flask_aiconvos-*.whl")):
                _build(dist)
        (wheel,) = dist.glob("flask_aiconvos-*.whl")
        _built["wheel"] = wheel
    return _built["wheel"]


def _build(dist: Path) -> None:
    # setuptools reuses build/lib: a module renamed or deleted since would ship again.
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    dist.mkdir(exist_ok=True)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        cwd=dist,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    deprecations = [line for line in output.splitlines() if re.search(r"deprecat", line, re.I)]
    assert not deprecations, "the build warns:\n" + "\n".join(deprecations)
