"""Folder sync: copy a directory tree over TCP, then check both trees are identical.

The wire format is line commands framed by begin/end markers, with raw bytes in between::

    BEGIN-SYNC
    MKDIR <relative/path>
    BEGIN-FILE <size> <relative/path>
    <exactly size raw bytes>
    END-FILE <sha256 hex>
    END-SYNC

The receiver is a ``LineReceiver`` that switches to raw mode for each file body
(``setRawMode``) and back to line mode for what follows (``setLineMode(rest)``), checks every
file's digest, and answers ``OK <files>`` or ``ERROR <why>``. Nested folders, empty folders,
empty files and binary files are all covered.

Usage::

    python examples/folder_sync.py [SOURCE_DIR DEST_DIR]

With no arguments it builds a sample tree in a temporary directory, syncs it to another one,
compares them with ``filecmp`` and prints the result.
"""

from __future__ import annotations

import filecmp
import hashlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from bridge import defer, protocol
from bridge.basic import LineReceiver

CHUNK = 64 * 1024


def safe_join(root: Path, relative: str) -> Path:
    """Resolve *relative* under *root*, refusing absolute paths and ``..`` escapes."""
    target = (root / relative).resolve()
    if target != root.resolve() and root.resolve() not in target.parents:
        raise ValueError(f"path escapes the destination: {relative!r}")
    return target


class SyncReceiver(LineReceiver):
    """Write the announced folders and files under ``factory.root``."""

    delimiter = b"\n"
    MAX_LENGTH = 64 * 1024
    factory: SyncReceiverFactory

    def connectionMade(self) -> None:
        self._file: Any = None
        self._remaining = 0
        self._hash: Any = None
        self.files = 0

    def lineReceived(self, line: bytes) -> None:
        command, _, argument = line.decode("utf-8").partition(" ")
        try:
            self._handle(command, argument)
        except (OSError, ValueError) as exc:
            self.sendLine(f"ERROR {exc}".encode())
            self.transport.loseConnection()

    def _handle(self, command: str, argument: str) -> None:
        root = self.factory.root
        if command == "BEGIN-SYNC":
            root.mkdir(parents=True, exist_ok=True)
        elif command == "MKDIR":
            safe_join(root, argument).mkdir(parents=True, exist_ok=True)
        elif command == "BEGIN-FILE":
            size, _, relative = argument.partition(" ")
            self._file = open(safe_join(root, relative), "wb")  # noqa: SIM115 (closed in END-FILE)
            self._remaining = int(size)
            self._hash = hashlib.sha256()
            self.setRawMode()
        elif command == "END-FILE":
            if argument != self._hash.hexdigest():
                raise ValueError(f"checksum mismatch for file {self.files + 1}")
            self.files += 1
        elif command == "END-SYNC":
            self.sendLine(f"OK {self.files}".encode())
            self.transport.loseConnection()
        else:
            raise ValueError(f"unknown command {command!r}")

    def rawDataReceived(self, data: bytes) -> None:
        body, rest = data[: self._remaining], data[self._remaining :]
        self._file.write(body)
        self._hash.update(body)
        self._remaining -= len(body)
        if self._remaining == 0:
            self._file.close()
            self._file = None
            self.setLineMode(rest)

    def connectionLost(self, reason: object = None) -> None:
        if self._file is not None:
            self._file.close()


class SyncReceiverFactory(protocol.ServerFactory):
    """Receive one tree per connection into *root*."""

    protocol = SyncReceiver

    def __init__(self, root: Path) -> None:
        self.root = root


class SyncSender(LineReceiver):
    """Send ``source``'s tree, then fire ``done`` with the receiver's answer line."""

    delimiter = b"\n"

    def __init__(self, source: Path) -> None:
        self.source = source
        self.done: defer.Deferred[str] = defer.Deferred()

    def connectionMade(self) -> None:
        self.sendLine(b"BEGIN-SYNC")
        for folder, dirnames, filenames in os.walk(self.source):
            dirnames.sort()
            here = Path(folder)
            relative = here.relative_to(self.source).as_posix()
            if relative != ".":
                self.sendLine(f"MKDIR {relative}".encode())
            for name in sorted(filenames):
                self._send_file(here / name)
        self.sendLine(b"END-SYNC")

    def _send_file(self, path: Path) -> None:
        relative = path.relative_to(self.source).as_posix()
        digest = hashlib.sha256()
        self.sendLine(f"BEGIN-FILE {path.stat().st_size} {relative}".encode())
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
                self.transport.write(chunk)
        self.sendLine(f"END-FILE {digest.hexdigest()}".encode())

    def lineReceived(self, line: bytes) -> None:
        if not self.done.called:
            self.done.callback(line.decode())

    def connectionLost(self, reason: object = None) -> None:
        if not self.done.called:
            self.done.callback("ERROR connection closed without an answer")


def make_sample_tree(root: Path) -> None:
    """Create nested folders with text, binary, empty and larger files."""
    (root / "docs" / "drafts").mkdir(parents=True)
    (root / "images" / "2024" / "summer").mkdir(parents=True)
    (root / "empty-folder").mkdir()
    (root / "README.txt").write_text("A sample tree for folder_sync.py\n")
    (root / "docs" / "notes.md").write_text("# Notes\n" + "line of text\n" * 200)
    (root / "docs" / "drafts" / "empty.txt").write_bytes(b"")
    (root / "images" / "2024" / "summer" / "beach.bin").write_bytes(os.urandom(300_000))
    (root / "images" / "logo.bin").write_bytes(bytes(range(256)) * 10)


def compare_trees(left: Path, right: Path) -> list[str]:
    """Return the differences between two trees (empty when identical)."""
    problems: list[str] = []

    def walk(cmp: filecmp.dircmp[str], prefix: str) -> None:
        problems.extend(f"only in source: {prefix}{n}" for n in cmp.left_only)
        problems.extend(f"only in copy: {prefix}{n}" for n in cmp.right_only)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        problems.extend(f"differs: {prefix}{n}" for n in mismatch + errors)
        for name, sub in sorted(cmp.subdirs.items()):
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(left, right), "")
    return problems


@defer.inlineCallbacks
def sync(reactor: Any, source: Path, destination: Path) -> Any:
    """Serve *destination*, send *source* to it over loopback, compare the trees."""
    from bridge import endpoints

    port = reactor.listenTCP(0, SyncReceiverFactory(destination), interface="127.0.0.1")
    try:
        endpoint = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
        sender = yield endpoints.connectProtocol(endpoint, SyncSender(source))
        answer = yield sender.done
    finally:
        yield port.stopListening()
    print(f"receiver answered: {answer}")
    files = sum(len(names) for _, _, names in os.walk(source))
    folders = sum(len(names) for _, names, _ in os.walk(source))
    problems = compare_trees(source, destination)
    for problem in problems:
        print(problem)
    if problems or not answer.startswith("OK"):
        raise SystemExit(1)
    print(f"trees identical: {files} files in {folders} folders")


def main(argv: list[str]) -> None:
    from bridge import task

    if len(argv) == 2:
        task.react(sync, (Path(argv[0]), Path(argv[1])))
        return
    with tempfile.TemporaryDirectory(prefix="folder-sync-") as tmp:
        source, destination = Path(tmp, "source"), Path(tmp, "copy")
        source.mkdir()
        make_sample_tree(source)
        task.react(sync, (source, destination))


if __name__ == "__main__":
    main(sys.argv[1:])
