"""Files and folders that hold evidence, keys and the database are this user's alone: folders
0700, files 0600, whatever the umask (a shared host's other accounts must not read them)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

__all__ = ["private_dir", "private_file"]

log = logging.getLogger(__name__)


def private_dir(path: Path) -> Path:
    """Create the folder readable by this user only, or tighten it if it exists wider (made by an
    older version, or by hand)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create the file empty and 0600 if it is missing (before a library creates it with the
    umask), or tighten it."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        _tighten(path, 0o600)
    return path


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:
        try:
            path.chmod(mode)
        except OSError as exc:  # not ours: say so, and go on
            log.warning("could not restrict the permissions of a data path (%s)", exc.strerror)
