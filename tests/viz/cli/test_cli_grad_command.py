"""`chainrule grad`, `--help`, `--version` and every bad-input case, run
in-process through `viz.cli.main` (exit status, stdout, one stderr line)."""

import math
import os
import xml.etree.ElementTree as ET

import pytest

from viz.cli import CLIError, main, parse_at


def run(capsys, *argv):
    """(status, stdout, stderr) of one in-process run."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def results(out):
    """The printed ``name = value`` lines after the header, as floats."""
    lines = out.splitlines()
    values = {}
    for line in lines[1:]:
        if " = " not in line:
            continue
        name, _, value = line.partition(" = ")
        values[name.strip()] = float(value)
    return values


def assert_user_error(status, out, err, *words):
    assert status == 2
    assert err.count("\n") == 1, err  # exactly one line
    assert err.startswith("chainrule: error: ")
    assert "Traceback" not in err and "Traceback" not in out
    for word in words:
        assert word in err, (word, err)


# --------------------------------------------------------------------------
# Values and partials


def test_tanh_neuron_value_and_partials(capsys):
    status, out, err = run(capsys, "grad", "tanh(x*w + b)", "--at", "x=1.5,w=-2,b=0.5")
    assert status == 0 and err == ""
    x, w, b = 1.5, -2.0, 0.5
    t = math.tanh(x * w + b)
    got = results(out)
    assert list(got) == ["f", "∂f/∂x", "∂f/∂w", "∂f/∂b"]  # order of first appearance
    assert got["f"] == pytest.approx(t, rel=1e-15)
    assert got["∂f/∂x"] == pytest.approx(w * (1 - t * t), rel=1e-12)  # w(1 - tanh²)
    assert got["∂f/∂w"] == pytest.approx(x * (1 - t * t), rel=1e-12)
    assert got["∂f/∂b"] == pytest.approx(1 - t * t, rel=1e-12)


def test_printed_format(capsys):
    status, out, _ = run(capsys, "grad", "x**2 * sin(y)", "--at", "x=1.5", "--at", "y=-2")
    assert status == 0
    x, y = 1.5, -2.0
    assert out.splitlines() == [
        "f(x, y) = x**2 * sin(y)",
        f"f     = {x**2 * math.sin(y)!r}",
        f"∂f/∂x = {2 * x * math.sin(y)!r}",
        f"∂f/∂y = {x**2 * math.cos(y)!r}",
    ]


def test_names_are_padded_so_the_equals_signs_align(capsys):
    status, out, _ = run(capsys, "grad", "alpha * x", "--at", "x=2,alpha=3")
    assert status == 0
    lines = out.splitlines()[1:]
    assert [line.index("=") for line in lines] == [len("∂f/∂alpha") + 1] * 3
    got = results(out)
    assert got == {"f": 6.0, "∂f/∂alpha": 2.0, "∂f/∂x": 3.0}


def test_a_constant_expression_needs_no_at(capsys):
    status, out, _ = run(capsys, "grad", "2**10 - 1")
    assert status == 0
    assert out.splitlines() == ["f() = 2**10 - 1", "f = 1023.0"]


def test_an_expression_starting_with_minus_goes_after_double_dash(capsys):
    status, out, _ = run(capsys, "grad", "--at", "x=3", "--", "-x**2")
    assert status == 0
    assert results(out) == {"f": -9.0, "∂f/∂x": -6.0}


def test_ieee_results_are_printed_not_refused(capsys):
    status, out, _ = run(capsys, "grad", "log(x)", "--at", "x=0")
    assert status == 0
    got = results(out)
    assert got["f"] == -math.inf and got["∂f/∂x"] == math.inf


# --------------------------------------------------------------------------
# --svg


def test_svg_is_written_and_shows_the_variable_names(capsys, tmp_path, require_dot):
    path = tmp_path / "graph.svg"
    status, out, err = run(
        capsys, "grad", "tanh(x*w + b)", "--at", "x=1.5,w=-2,b=0.5", "--svg", str(path)
    )
    assert status == 0, err
    assert out.splitlines()[-1] == f"graph: {path}"
    root = ET.parse(path).getroot()  # well-formed XML
    assert root.tag.endswith("svg")
    texts = {"".join(el.itertext()).strip() for el in root.iter() if el.tag.endswith("text")}
    for name in ("x", "w", "b"):
        assert name in texts, texts
    assert "tanh" in texts
    assert not [p for p in os.listdir(tmp_path) if p != "graph.svg"]  # no temporary left


def test_svg_replaces_an_existing_file(capsys, tmp_path, require_dot):
    path = tmp_path / "graph.svg"
    path.write_text("old")
    status, _, _ = run(capsys, "grad", "x*x", "--at", "x=2", "--svg", str(path))
    assert status == 0
    assert path.read_text().lstrip().startswith("<?xml")


# --------------------------------------------------------------------------
# Bad input: exit 2, one line on stderr, no traceback, nothing written


@pytest.mark.parametrize(
    "argv, words",
    [
        (["grad", "x +", "--at", "x=1"], ["syntax error at column"]),
        (["grad", "x.real", "--at", "x=1"], ["attribute access"]),
        (["grad", "x[0]", "--at", "x=1"], ["subscripts"]),
        (["grad", "foo(x)", "--at", "x=1"], ["unknown function 'foo'", "tanh"]),
        (["grad", "tanh(x=1)"], ["keyword arguments"]),
        (["grad", "lambda: x"], ["lambdas"]),
        (["grad", "[x for x in y]"], ["comprehensions"]),
        (["grad", "9**9**9"], ["exponent 387420489 is out of bounds"]),
        (["grad", "x" * 10001], ["too long"]),
        (["grad", "--", "-" * 5000 + "x"], ["nested too deeply"]),
        (["grad", "(" * 300 + "x" + ")" * 300], ["too many nested parentheses"]),
        (["grad", ""], ["empty"]),
        (["grad", "x*y", "--at", "x=1"], ["no value for variable 'y'"]),
        (["grad", "x*y", "--at", "x=1,y=2,z=3"], ["unknown variable 'z'"]),
        (["grad", "x"], ["no value for variable 'x'"]),
        (["grad", "x", "--at", "x"], ["'x' is not name=value"]),
        (["grad", "x", "--at", "x=1,"], ["empty entry"]),
        (["grad", "x", "--at", "=1"], ["is not name=value"]),
        (["grad", "x", "--at", "x="], ["is not name=value"]),
        (["grad", "x", "--at", "x=abc"], ["must be a number", "'abc'"]),
        (["grad", "x", "--at", "x=nan"], ["must be finite"]),
        (["grad", "x", "--at", "x=inf"], ["must be finite"]),
        (["grad", "x", "--at", "x=1e999"], ["must be finite"]),
        (["grad", "x", "--at", "x=1,x=2"], ["x is given more than once"]),
        (["grad", "x", "--at", "x=1", "--at", "x=2"], ["given more than once"]),
        (["grad", "x", "--at", "1x=2"], ["'1x' is not a variable name"]),
        (["grad", "-x**2", "--at", "x=1"], ["EXPR", "'--'"]),
        (["grad"], ["required: EXPR"]),
        ([], ["required: COMMAND"]),
        (["nonsense"], ["invalid choice"]),
        (["grad", "x", "--at", "x=1", "--bogus"], ["unrecognized arguments"]),
        (["grad", "x", "--at", "x=1", "--svg", ""], ["--svg needs a file name"]),
        (["demo", "--out", ""], ["--out needs a directory name"]),
        (["demo", "--steps", "0"], ["positive integer"]),
        (["demo", "--steps", "many"], ["positive integer"]),
        (["demo", "--seed", "x"], ["an integer"]),
    ],
)
def test_bad_input_is_one_line_and_status_2(capsys, argv, words):
    status, out, err = run(capsys, *argv)
    assert_user_error(status, out, err, *words)


def test_svg_into_a_missing_directory(capsys, tmp_path, require_dot):
    path = tmp_path / "missing" / "graph.svg"
    status, out, err = run(capsys, "grad", "x*x", "--at", "x=2", "--svg", str(path))
    assert_user_error(status, out, err, "does not exist")
    assert out == ""  # checked before anything is printed
    assert not path.parent.exists()


def test_svg_onto_a_directory(capsys, tmp_path, require_dot):
    status, out, err = run(capsys, "grad", "x*x", "--at", "x=2", "--svg", str(tmp_path))
    assert_user_error(status, out, err, "is a directory")


def test_svg_into_a_directory_without_write_permission(capsys, tmp_path, monkeypatch, require_dot):
    # (chmod does not stop root, so the permission check is made to say no)
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode)
    )
    status, out, err = run(capsys, "grad", "x", "--at", "x=2", "--svg", str(tmp_path / "g.svg"))
    assert_user_error(status, out, err, "not writable")
    assert out == ""


def test_svg_write_failure_leaves_no_file(capsys, tmp_path, monkeypatch, require_dot):
    import nn.files

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(nn.files, "_create_temporary", refuse)
    path = tmp_path / "g.svg"
    status, out, err = run(capsys, "grad", "x", "--at", "x=2", "--svg", str(path))
    assert_user_error(status, out, err, "cannot write --svg", "Permission denied")
    assert out == ""  # the picture is written before anything is printed
    assert list(tmp_path.iterdir()) == []


def test_svg_failure_during_the_write_keeps_the_old_file(
    capsys, tmp_path, monkeypatch, require_dot
):
    path = tmp_path / "g.svg"
    path.write_text("old")

    def no_room(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_room)
    status, out, err = run(capsys, "grad", "x", "--at", "x=2", "--svg", str(path))
    assert_user_error(status, out, err, "No space left on device")
    assert out == ""
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]  # temporary removed


def test_svg_without_graphviz(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on an empty PATH
    path = tmp_path / "graph.svg"
    status, out, err = run(capsys, "grad", "x*x", "--at", "x=2", "--svg", str(path))
    assert_user_error(status, out, err, "Graphviz", "not found")
    assert not path.exists()


def test_without_svg_graphviz_is_not_needed(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    status, out, _ = run(capsys, "grad", "x*x", "--at", "x=2")
    assert status == 0
    assert results(out)["∂f/∂x"] == 4.0


def test_a_graph_too_large_to_draw_is_a_user_error(capsys, tmp_path, require_dot):
    text = " + ".join(f"sin(x*{i})" for i in range(700))  # > 2000 values
    status, out, err = run(capsys, "grad", text, "--at", "x=1", "--svg", str(tmp_path / "g.svg"))
    assert_user_error(status, out, err, "cannot draw the graph")


def test_a_bug_is_one_line_with_status_1(capsys, monkeypatch):
    import viz.cli.grad

    def broken(args):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(viz.cli.grad, "run", broken)
    monkeypatch.delenv("CHAINRULE_DEBUG", raising=False)
    status, out, err = run(capsys, "grad", "x", "--at", "x=1")
    assert status == 1
    assert err.count("\n") == 1
    assert "internal error: ZeroDivisionError: boom" in err
    assert "Traceback" not in err
    # and with CHAINRULE_DEBUG the exception itself comes through
    monkeypatch.setenv("CHAINRULE_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["grad", "x", "--at", "x=1"])


# --------------------------------------------------------------------------
# --at on its own


def test_parse_at():
    assert parse_at(["x=1.5, y = -2", "z=3e-1"]) == {"x": 1.5, "y": -2.0, "z": 0.3}
    assert list(parse_at(["b=1,a=2"])) == ["b", "a"]  # order kept
    assert parse_at(["ｘ=1"]) == {"x": 1.0}  # normalised as Python's parser does
    assert parse_at([]) == {}
    with pytest.raises(CLIError, match="more than once"):
        parse_at(["x=1", "ｘ=2"])


# --------------------------------------------------------------------------
# --help and --version


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--help"], ["usage: chainrule", "grad", "demo", "--version"]),
        (
            ["grad", "--help"],
            ["usage: chainrule grad", "--at", "--svg", "tanh", "first appearance"],
        ),
        (
            ["demo", "--help"],
            ["usage: chainrule demo", "--out", "--steps", "--seed", "--no-progress", "matplotlib"],
        ),
    ],
)
def test_help(capsys, argv, words):
    status, out, err = run(capsys, *argv)
    assert status == 0 and err == ""
    text = " ".join(out.split())  # argparse wraps lines
    for word in words:
        assert word in text, (word, out)


def test_version(capsys):
    from importlib.metadata import version

    status, out, _ = run(capsys, "--version")
    assert status == 0
    assert out.strip() == f"chainrule {version('chainrule')}"


# --svg onto special files (all made in tmp_path, never the machine's /dev)


def _private_null(tmp_path):
    import stat

    path = tmp_path / "null"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError, OSError) as e:
        pytest.skip(f"cannot make a character device here: {e}")
    return path


def test_svg_onto_a_device_writes_it_and_keeps_it(capsys, tmp_path, require_dot):
    import stat

    null = _private_null(tmp_path)
    status, out, err = run(capsys, "grad", "x*x", "--at", "x=1", "--svg", str(null))
    assert status == 0 and err == ""
    assert stat.S_ISCHR(os.lstat(null).st_mode)  # still the device
    assert [p.name for p in tmp_path.iterdir()] == ["null"]


def test_svg_through_a_symlink_writes_its_target(capsys, tmp_path, require_dot):
    target = tmp_path / "real.svg"
    target.write_text("old")
    link = tmp_path / "link.svg"
    link.symlink_to("real.svg")
    status, out, err = run(capsys, "grad", "x*x", "--at", "x=1", "--svg", str(link))
    assert status == 0 and err == ""
    assert link.is_symlink()
    assert ET.fromstring(target.read_text()).tag.endswith("svg")
    assert f"graph: {link}" in out


def test_svg_onto_a_fifo_without_reader_is_one_line_before_any_work(
    capsys, tmp_path, require_dot
):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    status, out, err = run(capsys, "grad", "x*x", "--at", "x=1", "--svg", str(fifo))
    assert_user_error(status, out, err, "FIFO", "no process is reading")
    assert out == ""


def test_svg_onto_a_socket_is_refused(capsys, tmp_path, require_dot):
    import socket

    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.bind(str(path))
        except OSError as e:
            pytest.skip(f"cannot bind a socket in tmp_path: {e}")
        status, out, err = run(capsys, "grad", "x", "--at", "x=1", "--svg", str(path))
    assert_user_error(status, out, err, "is a socket")


@pytest.mark.parametrize(
    "expression, at, note",
    [
        ("\u0445*\u0445", "x=1", "'x' (Latin) and '\u0445' (Cyrillic) look alike"),
        ("x*x", "\u0445=1", "'\u0445' (Cyrillic) and 'x' (Latin) look alike"),
        ("\u03bd + 1", "v=1", "'v' (Latin) and '\u03bd' (Greek) look alike"),
        ("c\u043est", "cost=1", "'cost' (Latin) and 'c\u043est' (Latin/Cyrillic) look alike"),
    ],
)
def test_a_homoglyph_says_the_names_differ_in_script(capsys, expression, at, note):
    status, out, err = run(capsys, "grad", expression, "--at", at)
    assert_user_error(status, out, err, "unknown variable", note, "different letters")


def test_names_that_merely_differ_get_no_lookalike_note(capsys):
    status, out, err = run(capsys, "grad", "x*y", "--at", "x=1,y=2,z=3")
    assert_user_error(status, out, err, "unknown variable 'z'")
    assert "look alike" not in err
