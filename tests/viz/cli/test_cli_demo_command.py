"""`chainrule demo` in-process with a few steps: the four SVGs, the printed
report, determinism, the bad-output-path cases, and the training itself
against an independent PyTorch float64 replay of micrograd's recipe."""

import random
import re
import xml.etree.ElementTree as ET

import pytest

from viz.cli import DEMO_FILES, main

SVGS = ("neuron_graph.svg", "network.svg", "decision_boundary.svg", "loss.svg")


def run_demo(capsys, out_dir, *extra):
    status = main(["demo", "--out", str(out_dir), "--no-progress", *extra])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def three_steps(tmp_path_factory):
    """One 3-step demo run shared by the tests that only read its results."""
    import contextlib
    import io

    out_dir = tmp_path_factory.mktemp("demo") / "pictures"  # created by the demo
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(["demo", "--out", str(out_dir), "--steps", "3", "--no-progress"])
    return status, stdout.getvalue(), stderr.getvalue(), out_dir


def test_demo_writes_four_parseable_svgs(require_dot, three_steps):
    status, out, err, out_dir = three_steps
    assert status == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(SVGS)  # no temporaries
    assert set(DEMO_FILES) == set(SVGS)
    for name in SVGS:
        path = out_dir / name
        assert path.stat().st_size > 1000
        root = ET.parse(path).getroot()
        assert root.tag.endswith("svg"), name


def test_demo_prints_the_paths_it_wrote(require_dot, three_steps):
    _, out, _, out_dir = three_steps
    wrote = out[out.index("wrote:") :].splitlines()[1:]
    printed = [line.split()[0] for line in wrote]
    assert printed == [str(out_dir / name) for name in DEMO_FILES]


def test_demo_prints_loss_table_and_explanations(require_dot, three_steps):
    _, out, _, _ = three_steps
    assert re.search(r"^step 3: loss \d+\.\d{6}, accuracy \d+%", out, re.M)
    assert re.search(r"^trained model: loss C = \d+\.\d{6}, accuracy \d+%$", out, re.M)
    # the output layer's gradient table: 16 weights and the bias of layer 3
    table = out[out.index("Gradients of the output layer") :].splitlines()
    assert table[1].split() == ["name", "label", "value", "grad"]
    rows = table[2:19]
    assert [r.split()[1] for r in rows][:2] == ["w⁽³⁾₀₀", "w⁽³⁾₀₁"]
    assert rows[-1].split()[1] == "b⁽³⁾₀"
    # the chain rule, for one output and one hidden weight, batch and sample
    out_w = re.search(r"The chain rule for the output weight (w⁽³⁾\S+) ", out)
    hid_w = re.search(r"The chain rule for the hidden weight (w⁽²⁾\S+) ", out)
    assert out_w and hid_w
    assert f"∂C/∂{out_w.group(1)} = (1/n) Σᵢ₌₀ⁿ⁻¹ ∂Cᵢ/∂{out_w.group(1)}" in out
    assert f"∂C₀/∂{out_w.group(1)} = (∂C₀/∂a⁽³⁾₀)(∂a⁽³⁾₀/∂z⁽³⁾₀)" in out
    assert f"∂C₀/∂{hid_w.group(1)} = (∂C₀/∂a⁽²⁾" in out
    assert "Σⱼ₌₀⁰ (∂C₀/∂a⁽³⁾ⱼ)" in out  # the hidden layer's sum over layer 3


def test_demo_is_deterministic_for_a_seed(capsys, tmp_path, require_dot):
    runs = []
    for name, seed in (("a", "7"), ("b", "7"), ("c", "8")):
        status, out, _ = run_demo(capsys, tmp_path / name, "--steps", "2", "--seed", seed)
        assert status == 0
        files = {n: (tmp_path / name / n).read_bytes() for n in SVGS}
        runs.append((out.replace(str(tmp_path / name), "DIR"), files))
    assert runs[0] == runs[1]
    assert runs[0][0] != runs[2][0]  # another seed: another run


def test_demo_trains_as_an_independent_pytorch_replay(require_dot, three_steps):
    """Replay micrograd's recipe in PyTorch float64 from the same data and the
    same initial weights (random.Random(seed).uniform(-1, 1) in neuron order,
    biases 0): full-batch SGD, lr = 1 - 0.9 k/N, hinge + 1e-4 Σp²."""
    torch = pytest.importorskip("torch", reason="the replay needs PyTorch")
    from nn.data import make_moons
    from nn.notation import Label, parse

    _, out, _, _ = three_steps
    steps, seed = 3, 1337
    X, labels = make_moons(100, noise=0.1, seed=seed)
    rng = random.Random(seed)
    params = []
    for nin, nout in ((2, 16), (16, 16), (16, 1)):
        W = [[rng.uniform(-1, 1) for _ in range(nin)] for _ in range(nout)]
        params += [
            torch.tensor(W, dtype=torch.float64, requires_grad=True),
            torch.zeros(nout, dtype=torch.float64, requires_grad=True),
        ]
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor([2.0 * t - 1.0 for t in labels], dtype=torch.float64)

    def loss_and_accuracy():
        W1, b1, W2, b2, W3, b3 = params
        h = torch.relu(Xt @ W1.T + b1)
        h = torch.relu(h @ W2.T + b2)
        s = (h @ W3.T + b3)[:, 0]
        data = torch.relu(1 - yt * s).mean()
        reg = 1e-4 * sum((p * p).sum() for p in params)
        acc = ((s > 0) == (yt > 0)).double().mean().item()
        return data + reg, acc

    for k in range(steps):
        loss, acc = loss_and_accuracy()
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= (1.0 - 0.9 * k / steps) * p.grad
    last_step = (loss.item(), acc)
    final_loss, final_accuracy = loss_and_accuracy()

    step_line = re.search(r"^step 3: loss (\S+), accuracy (\d+)%", out, re.M)
    assert float(step_line.group(1)) == pytest.approx(last_step[0], abs=1e-6)
    assert int(step_line.group(2)) == round(100 * last_step[1])
    final_line = re.search(r"^trained model: loss C = (\S+), accuracy (\d+)%$", out, re.M)
    assert float(final_line.group(1)) == pytest.approx(final_loss.item(), abs=1e-6)
    assert int(final_line.group(2)) == round(100 * final_accuracy)

    # The weights explained: the largest |∂C/∂w| of the output layer and of
    # the last hidden layer (the first of equals, in neuron order) ...
    for p in params:
        p.grad = None
    final_loss.backward()
    W2, W3 = params[2], params[4]
    # the printed table of the output layer is ∂C/∂p of the trained model
    table = out[out.index("Gradients of the output layer") :].splitlines()[2:19]
    printed = [float(row.split()[-1]) for row in table]
    expected = [*W3.grad[0].tolist(), params[5].grad[0].item()]
    assert printed == pytest.approx(expected, rel=1e-5, abs=1e-12)
    k3 = int(W3.grad[0].abs().argmax())
    j2, k2 = divmod(int(W2.grad.abs().flatten().argmax()), W2.shape[1])
    # ... each shown on the sample whose own loss Cᵢ = relu(1 − yᵢsᵢ) has the
    # largest |∂Cᵢ/∂w| (the first of equals).
    W1, b1, _, b2, _, b3 = params
    per_sample = []
    for i in range(len(X)):
        h = torch.relu(W1 @ Xt[i] + b1)
        h = torch.relu(W2 @ h + b2)
        c_i = torch.relu(1 - yt[i] * (W3 @ h + b3)[0])
        g2, g3 = torch.autograd.grad(c_i, [W2, W3])
        per_sample.append((abs(g3[0, k3].item()), abs(g2[j2, k2].item())))
    sample3 = max(range(len(X)), key=lambda i: (per_sample[i][0], -i))
    sample2 = max(range(len(X)), key=lambda i: (per_sample[i][1], -i))

    shown = re.findall(r"^The chain rule for the \w+ weight (\S+) ", out, re.M)
    samples = [int(i) for i in re.findall(r"^Sample (\d+) on its own", out, re.M)]
    assert [parse(name) for name in shown] == [Label("w", 3, 0, k3), Label("w", 2, j2, k2)]
    assert samples == [sample3, sample2]


# --------------------------------------------------------------------------
# Bad output paths and a missing Graphviz: one line, status 2, no training


def test_out_that_is_a_file(capsys, tmp_path):
    target = tmp_path / "file"
    target.write_text("keep me")
    status, out, err = run_demo(capsys, target, "--steps", "1")
    assert status == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "exists and is not a directory" in err
    assert out == ""  # refused before training
    assert target.read_text() == "keep me"


def test_out_that_cannot_be_created(capsys, tmp_path, require_dot):
    blocker = tmp_path / "file"
    blocker.write_text("")
    status, out, err = run_demo(capsys, blocker / "sub", "--steps", "1")
    assert status == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "cannot create --out directory" in err
    assert out == ""


def test_demo_without_graphviz(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    status, out, err = run_demo(capsys, tmp_path / "pictures", "--steps", "1")
    assert status == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "Graphviz" in err and "not found" in err
    assert out == ""
    assert not (tmp_path / "pictures").exists()
