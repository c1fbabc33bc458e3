"""Atomic writes: a temporary file in the same folder, then rename, so readers never see half a report."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ..errors import InputError

__all__ = ["atomic_stream", "atomic_write", "prepare_dir", "safe_child"]


def prepare_dir(path: Path) -> Path:
    """Create the output folder (and parents); a clear error when it cannot be written."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(path, f"cannot create the output folder ({exc.strerror})", "choose a writable folder with -o") from None
    if not os.access(path, os.W_OK):
        raise InputError(path, "the output folder is not writable", "choose a writable folder with -o")
    return path


def safe_child(folder: Path, name: str) -> Path:
    """``folder / name`` for a plain file name; a name that would leave the folder is refused."""
    candidate = (folder / name).resolve()
    if candidate.parent != folder.resolve() or name in {"", ".", ".."}:
        raise InputError(name, "an output file name must not contain a folder or '..'", "give a plain file name")
    return candidate


def _mode(path: Path) -> int:
    """Permissions for a new version of ``path``: the old file's, else 0o666 less the umask (what
    ``open`` gives a new file; mkstemp's own 0o600 would hide a shared report from its readers)."""
    try:
        st = path.lstat()  # a symlink planted in its place is replaced, never followed
        if stat.S_ISREG(st.st_mode):
            return st.st_mode & 0o777  # permission bits only: never setuid/setgid
    except OSError:
        pass
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` atomically; the previous file stays whole until the rename.

    The temporary file is ``.<name>.<random>.tmp`` in the same folder (removed on any error); the
    new file keeps the old one's permissions.
    """
    with atomic_stream(path, binary=True) as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)


def _cannot_write(path: Path, exc: OSError) -> InputError:
    return InputError(path, f"cannot write ({exc.strerror})", "check the folder's permissions and free space")


class _Guarded:
    """The temporary file as its writer sees it: ``write`` only, a failed write (disk full) an `InputError`."""

    def __init__(self, fh: IO[Any], path: Path) -> None:
        self._fh, self._path = fh, path

    def write(self, data: Any) -> int:
        return _io(self._path, self._fh.write, data)


@contextmanager
def atomic_stream(path: Path, binary: bool = False) -> Iterator[Any]:
    """A file to write ``path`` piece by piece (text: UTF-8, newlines as written; ``binary``: bytes), for
    outputs too big to build in memory. The pieces go to a temporary file in the same folder, renamed over
    ``path`` when the block ends without an error; on any error it is removed and the previous ``path``
    stays whole. Failing writes are an `InputError` naming ``path``."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            _io(path, os.fchmod, fh.fileno(), _mode(path))
            yield _Guarded(fh, path)  # the caller's own errors (reading its input, say) pass unchanged
            _io(path, fh.flush)
            _io(path, os.fsync, fh.fileno())
        _io(path, os.replace, tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _io(path: Path, fn: Any, *args: Any) -> Any:
    """``fn(*args)``, an OSError an `InputError` naming ``path``."""
    try:
        return fn(*args)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
