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


# -- special files: followed, written directly or refused, never replaced -----
# Every special file is made in tmp_path (never the machine's own /dev).

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX special files")


def private_device(tmp_path, name, minor):
    """A character device of major 1 (mem) made in tmp_path, or a skip."""
    path = tmp_path / name
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
        os.stat(path)
    except (PermissionError, AttributeError, OSError) as e:
        pytest.skip(f"cannot make a character device here: {e}")
    return path


@posix_only
def test_a_symlink_is_followed_and_its_target_replaced(tmp_path):
    target = tmp_path / "real.svg"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    link = tmp_path / "link.svg"
    link.symlink_to("real.svg")
    write_atomically(link, b"new")
    assert link.is_symlink() and os.readlink(link) == "real.svg"
    assert target.read_bytes() == b"new" and mode(target) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.svg", "real.svg"]


@posix_only
def test_a_dangling_symlink_creates_its_target(tmp_path):
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "sub" / "new.svg")
    write_atomically(link, b"data")
    assert link.is_symlink() and (tmp_path / "sub" / "new.svg").read_bytes() == b"data"


@posix_only
def test_a_null_device_is_written_to_not_replaced(tmp_path):
    null = private_device(tmp_path, "null", 3)
    bits = mode(null)
    write_atomically(null, b"<svg/>" * 1000)
    st = os.lstat(null)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)
    assert mode(null) == bits  # not a new file's mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


@posix_only
def test_a_symlink_to_a_device_writes_the_device_and_keeps_the_link(tmp_path):
    private_device(tmp_path, "zero", 5)
    link = tmp_path / "stdout"
    link.symlink_to("zero")
    write_atomically(link, b"x")
    assert link.is_symlink() and stat.S_ISCHR(os.stat(link).st_mode)


@posix_only
def test_a_module_save_to_a_device_keeps_the_device(tmp_path):
    import nn

    zero = private_device(tmp_path, "zero", 5)
    nn.MLP(2, [2, 1], seed=0).save(zero)
    assert stat.S_ISCHR(os.lstat(zero).st_mode)


@posix_only
def test_a_fifo_without_a_reader_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="FIFO .*no process is reading"):
        write_atomically(fifo, b"data")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["fifo"]


@posix_only
def test_a_fifo_with_a_reader_receives_the_data(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_atomically(fifo, b"picture")
        assert os.read(reader, 100) == b"picture"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@posix_only
def test_a_socket_is_refused(tmp_path):
    import socket

    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.bind(str(path))
        except OSError as e:  # e.g. a path too long for AF_UNIX
            pytest.skip(f"cannot bind a socket in tmp_path: {e}")
        with pytest.raises(OSError, match="is a socket"):
            write_atomically(path, b"data")
        assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_a_directory_is_refused(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(OSError, match="is a directory"):
        write_atomically(tmp_path / "d", b"data")
    assert (tmp_path / "d").is_dir() and list((tmp_path / "d").iterdir()) == []


@posix_only
def test_check_writable_fails_before_any_work(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="no process is reading"):
        files.check_writable(fifo)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        files.check_writable(tmp_path / "no" / "f")
    files.check_writable(tmp_path / "new")
    assert files.target_kind(tmp_path / "new") == "file"
    assert files.target_kind(fifo) == "fifo"


@posix_only
def test_a_link_swapped_in_during_the_write_is_not_replaced(tmp_path, monkeypatch):
    path = tmp_path / "f"
    path.write_bytes(b"old")
    other = tmp_path / "other"
    other.write_bytes(b"keep")
    real_fsync = os.fsync

    def swap(fd):
        real_fsync(fd)
        path.unlink()
        path.symlink_to(other)

    monkeypatch.setattr(files.os, "fsync", swap)
    with pytest.raises(OSError, match="changed while it was written"):
        write_atomically(path, b"new")
    monkeypatch.undo()
    assert path.is_symlink() and other.read_bytes() == b"keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f", "other"]
