"""A small tmpfs for fault tests that need a real full or read-only file system."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest


@contextlib.contextmanager
def tmpfs(folder: Path, options: str):
    """A tmpfs mounted at ``folder`` for the block (skips the test where mounting is not permitted)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True,
                          text=True, check=False) if os.geteuid() == 0 else None
    if done is None or done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root and permission to mount): "
                    + (done.stderr.strip() if done is not None else "not root"))
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
