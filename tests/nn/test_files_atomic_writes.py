"""nn.files.write_atomically: all or nothing, the right permission bits,
and the umask never touched (it is process-wide: other threads see it)."""

import os
import stat
import sys

import pytest

from nn import files
from nn.files import write_atomically

posix_modes = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


@pytest.fixture
def umask():
    """Set the umask for one test, and restore it after."""
    old = os.umask(0o022)

    def set_to(mask):
        os.umask(mask)

    yield set_to
    os.umask(old)


@pytest.fixture
def no_umask_calls(monkeypatch):
    def forbidden(mask):
        raise AssertionError("write_atomically must not set the umask")

    monkeypatch.setattr(os, "umask", forbidden)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_writes_bytes_and_text(tmp_path):
    write_atomically(tmp_path / "a.bin", b"\x00\xff")
    write_atomically(str(tmp_path / "b.txt"), "w⁽¹⁾₀₀\n")
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\xff"
    assert (tmp_path / "b.txt").read_bytes() == "w⁽¹⁾₀₀\n".encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "b.txt"]


@posix_modes
@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002, 0o000])
def test_a_new_file_gets_0666_less_the_umask(tmp_path, umask, mask):
    umask(mask)
    # the oracle: what a plain open() creates under the same umask
    (tmp_path / "plain").write_bytes(b"")
    write_atomically(tmp_path / "new", b"data")
    assert mode(tmp_path / "new") == mode(tmp_path / "plain") == 0o666 & ~mask


@posix_modes
@pytest.mark.parametrize("bits", [0o640, 0o664, 0o600, 0o444])
def test_an_existing_files_bits_are_kept_whatever_the_umask(tmp_path, umask, bits):
    path = tmp_path / "old"
    path.write_bytes(b"old")
    os.chmod(path, bits)
    umask(0o077)  # would clear the group and other bits of a new file
    write_atomically(path, b"new")
    assert mode(path) == bits and path.read_bytes() == b"new"


def test_the_umask_is_never_set(tmp_path, no_umask_calls):
    write_atomically(tmp_path / "new", b"1")
    write_atomically(tmp_path / "new", b"2")
    assert (tmp_path / "new").read_bytes() == b"2"


@pytest.mark.parametrize("fail_in", ["fsync", "replace"])
def test_a_failure_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch, fail_in):
    path = tmp_path / "f"
    path.write_bytes(b"old")

    def fail(*args):
        raise KeyboardInterrupt  # Ctrl-C at the worst moment

    monkeypatch.setattr(os, fail_in, fail)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(path, b"new")
    monkeypatch.undo()
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


def test_a_refused_temporary_file_leaves_nothing(tmp_path, monkeypatch):
    def refuse(*args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.os, "open", refuse)
    with pytest.raises(PermissionError):
        write_atomically(tmp_path / "f", b"x")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_a_name_collision_takes_another_temporary_name(tmp_path, monkeypatch):
    names = iter(["taken", "taken", "free"])
    monkeypatch.setattr(files.secrets, "token_hex", lambda n: next(names))
    (tmp_path / ".f.taken.tmp").write_bytes(b"someone else's")
    write_atomically(tmp_path / "f", b"mine")
    assert (tmp_path / "f").read_bytes() == b"mine"
    assert (tmp_path / ".f.taken.tmp").read_bytes() == b"someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".f.taken.tmp", "f"]


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="data must be bytes or str, got int"):
        write_atomically(tmp_path / "f", 3)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_atomically(tmp_path / "no" / "f", b"x")
    assert list(tmp_path.iterdir()) == []
