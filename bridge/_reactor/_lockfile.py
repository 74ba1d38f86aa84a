"""A PID lock file for ``listenUNIX(wantPID=True)`` and ``connectUNIX(checkPID=True)``.

Same on-disk convention as Twisted's ``FilesystemLock``: the lock is a symbolic link whose
target is the owner's process id, so a Twisted process and a bridge process see each
other's locks. A lock whose process is gone is stale and may be taken over.
"""

from __future__ import annotations

import contextlib
import os

__all__ = ["PIDLock", "is_locked"]


class PIDLock:
    """A lock held by this process while a UNIX port listens.

    :ivar clean: False if :meth:`lock` had to remove a stale lock left by a dead process.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.locked = False
        self.clean = True

    def lock(self) -> bool:
        """Take the lock; return False if a live process holds it."""
        clean = True
        for _ in range(3):
            try:
                os.symlink(str(os.getpid()), self.path)
            except FileExistsError:
                try:
                    pid = int(os.readlink(self.path))
                except (FileNotFoundError, ValueError, OSError):
                    clean = False
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(self.path)
                    continue
                if _alive(pid):
                    return False
                clean = False
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self.path)
                continue
            self.locked = True
            self.clean = clean
            return True
        return False

    def unlock(self) -> None:
        """Release the lock if this object holds it."""
        if self.locked:
            self.locked = False
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_locked(path: str) -> bool:
    """Return True if a live process holds the lock at *path*."""
    try:
        pid = int(os.readlink(path))
    except (OSError, ValueError):
        return False
    return _alive(pid)
