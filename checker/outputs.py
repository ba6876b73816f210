"""Output files: checked before any work, written atomically, never over a file the command reads.

Every command that writes a file goes through this module:

- `check_outputs(outputs, reads)` runs before any work. It refuses, with every problem listed, an
  output that is also a file the command reads (whatever the spelling: relative, `./`, `..`, a
  symbolic or hard link), an output given twice, a folder, something that is not a regular file
  (a device, a FIFO), a folder that does not exist and a folder the command cannot write in.
- `AtomicFile` (and `write_output` for content already rendered) writes into a fresh temporary
  file beside the target and renames it over the target only when everything is written and
  flushed to disk. A killed run, a full disk or an error leaves the previous file as it was and no
  partial file under the final name. The temporary file is created with a new random name
  (`O_CREAT | O_EXCL`), so a symbolic link or folder already lying at some temporary-looking path is
  never followed nor crashed on.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from checker.errors import CheckerError

TEMPORARY_SUFFIX = ".partial"


class OutputError(CheckerError):
    """An output that cannot or must not be written; the message lists every problem, one a line."""

    code = "output-unusable"

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def check_outputs(outputs: Sequence[tuple[str, Path]], reads: Sequence[tuple[str, Path | str | None]]) -> None:
    """Refuse unusable outputs before any work: OutputError listing every problem.

    `outputs` are (how the user gave it, e.g. "--output", path); `reads` are (what it is, e.g. "the case
    file", path) for every file or folder the command reads (`-` and None are skipped; a folder stands
    for the existing rule packs, fixtures and JSON files under it: it is not walked).
    """
    problems: list[str] = []
    read_files = _read_files(reads)
    seen: dict[str, str] = {}
    for option, path in outputs:
        name = f"{option} {path}"
        real = os.path.realpath(path)
        if real in seen:
            problems.append(f"{name}: the same file is given twice ({seen[real]} and {name}): "
                            "give each output its own name")
            continue
        seen[real] = name
        reader = _read_by(real, read_files)
        if reader is not None:
            problems.append(f"{name} is {reader}, which this command reads: writing it would destroy it; "
                            "give the output another name")
            continue
        problem = _target_problem(Path(real))
        if problem is not None:
            problems.append(f"{name}: {problem}")
    if problems:
        raise OutputError(problems)


# What a command reads from a folder it is given (rule packs, fixtures, base records, the documents register).
FOLDER_READS = (".yaml", ".yml", ".json")

ReadFile = tuple[str, str, "tuple[int, int] | None", bool]  # (what, real path, (device, inode), is a folder)


def _read_files(reads: Sequence[tuple[str, Path | str | None]]) -> list[ReadFile]:
    """(what, real path, (device, inode) when it exists, whether it is a folder) for everything read."""
    files: list[ReadFile] = []
    for what, given in reads:
        if given is None or str(given) == "-":
            continue
        real = os.path.realpath(given)
        files.append((f"{what} ({given})", real, _identity(real), os.path.isdir(real)))
    return files


def _identity(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _read_by(real: str, read_files: list[ReadFile]) -> str | None:
    """What reads the file at `real`: a file read (the same path, or a hard link to it), or an existing
    file of a kind read from a folder read (a folder is not walked: it may be large)."""
    identity = _identity(real)
    for what, path, read_identity, folder in read_files:
        if folder:
            inside = real.startswith(path.rstrip(os.sep) + os.sep)
            if inside and identity is not None and real.lower().endswith(FOLDER_READS):
                return f"{what[:-1]}: {os.path.relpath(real, path)})"
        elif path == real or (identity is not None and identity == read_identity):
            return what
    return None


def _target_problem(target: Path) -> str | None:
    """Why `target` (a resolved path) cannot be written, or None."""
    if target.exists():
        mode = target.stat().st_mode
        if stat.S_ISDIR(mode):
            return "is a folder: give a file name"
        if not stat.S_ISREG(mode):
            return "is not a regular file (a device, a pipe or a socket): give a file name, or leave out the " \
                   "option to print to standard output"
    folder = target.parent
    if not folder.exists():
        return f"the folder {folder} does not exist: create it first"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    try:  # the only reliable test of a read-only place (permissions, a read-only mount, root's rights)
        handle, probe = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=TEMPORARY_SUFFIX)
    except OSError as exc:
        return f"cannot write in the folder {folder}: {exc.strerror or exc}"
    os.close(handle)
    os.unlink(probe)
    return None


class AtomicFile:
    """A file written under a temporary name beside `path` and renamed over it by `commit()`.

    `handle` is the open file (text, UTF-8, no newline translation, unless `binary`). `abandon()`
    removes the temporary file and leaves the target untouched; so does leaving a with-block on
    an exception.
    """

    def __init__(self, path: Path | str, binary: bool = False, encoding: str = "utf-8") -> None:
        self.path = Path(path)
        self.target = Path(os.path.realpath(self.path))  # a link to a report keeps pointing at it
        descriptor, temporary = tempfile.mkstemp(dir=self.target.parent, prefix=f".{self.target.name}.",
                                                 suffix=TEMPORARY_SUFFIX)
        self.temporary = Path(temporary)
        try:
            os.chmod(descriptor, _mode_for(self.target))
            self.handle: IO[Any] = (os.fdopen(descriptor, "wb") if binary
                                    else os.fdopen(descriptor, "w", encoding=encoding, newline=""))
        except BaseException:
            os.close(descriptor)
            self.temporary.unlink(missing_ok=True)
            raise
        self.done = False

    def commit(self) -> None:
        """Flush to disk and rename over the target; on failure the temporary file is removed."""
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())  # a full disk shows here at the latest, before the rename
            self.handle.close()
            os.replace(self.temporary, self.target)
        except BaseException:
            self.abandon()
            raise
        self.done = True

    def abandon(self) -> None:
        if self.done:
            return
        self.done = True
        try:
            self.handle.close()
        except OSError:
            pass  # the write that failed already said why
        self.temporary.unlink(missing_ok=True)

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> None:
        if kind is None:
            self.commit()
        else:
            self.abandon()


def _mode_for(target: Path) -> int:
    """The permissions the file would have if written directly: the target's own, else the umask's."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_output(path: Path | str, content: str | bytes) -> None:
    """Write rendered content atomically (see `AtomicFile`)."""
    with AtomicFile(path, binary=isinstance(content, bytes)) as output:
        output.handle.write(content)
