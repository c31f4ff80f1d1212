"""model.grad_table(): every parameter with label, value and gradient, as
aligned text and as escaped HTML, with layer/node filters."""

import math
from html.parser import HTMLParser

import pytest

from nn import MLP, Neuron


class Cells(HTMLParser):
    """Collects the text and title of every table cell."""

    def __init__(self):
        super().__init__()
        self.rows, self.titles, self._cell = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = ""
            title = dict(attrs).get("title")
            if title is not None:
                self.titles.append(title)

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def trained_model():
    model = MLP(2, [3, 2], seed=0)
    outs = model([0.5, -1.5])
    (outs[0] * outs[1]).backward()
    return model


def test_rows_hold_every_parameter_with_its_value_and_gradient():
    model = trained_model()
    table = model.grad_table()
    assert len(table) == len(model.parameters()) == 3 * 3 + 2 * 4
    for row, (name, p) in zip(table, model.named_parameters()):
        assert (row.name, row.label, row.value, row.grad) == (name, p.label, p.data, p.grad)
    assert table[0].label == "w⁽¹⁾₀₀"


def test_text_form_is_aligned_columns():
    model = trained_model()
    text = str(model.grad_table())
    lines = text.splitlines()
    assert lines[0].split() == ["name", "label", "value", "grad"]
    assert len(lines) == 1 + 17
    # right-aligned numbers: every line ends at the same column
    assert len({len(line) for line in lines}) == 1
    # each row's numbers are the parameter's value and gradient
    for line, p in zip(lines[1:], model.parameters()):
        name, lab, value, grad = line.split()
        assert lab == p.label
        assert math.isclose(float(value), p.data, rel_tol=1e-5)
        assert math.isclose(float(grad), p.grad, rel_tol=1e-5, abs_tol=1e-300)
    label_column = lines[0].index("label")
    assert all(line[label_column:].startswith(("label", "w", "b")) for line in lines)


def test_layer_and_node_filters():
    model = trained_model()
    out_layer = model.grad_table(layer=2)
    assert [r.name for r in out_layer] == [n for n, _ in model.named_parameters()
                                           if n.startswith("layers.1.")]
    node = model.grad_table(layer=2, neuron=1)
    assert [r.label for r in node] == ["w⁽²⁾₁₀", "w⁽²⁾₁₁", "w⁽²⁾₁₂", "b⁽²⁾₁"]
    assert len(model.grad_table(neuron=2)) == 3  # only layer 1 has a node 2
    with pytest.raises(ValueError, match=r"no layer 3; the model's layers are \[1, 2\]"):
        model.grad_table(layer=3)
    with pytest.raises(ValueError, match=r"no node 5 in layer 2; nodes are \[0, 1\]"):
        model.grad_table(layer=2, neuron=5)
    with pytest.raises(ValueError, match="layer must be None or an int >= 1"):
        model.grad_table(layer=0)
    with pytest.raises(ValueError, match="neuron must be None or an int >= 0"):
        model.grad_table(neuron="0")


def test_html_form_is_escaped_and_carries_latex():
    neuron = Neuron(2, index=1)
    neuron.w[0].label = "<script>alert('x')</script>"
    html = neuron.grad_table()._repr_html_()
    assert "<script>" not in html
    parser = Cells()
    parser.feed(html)
    assert parser.rows[0] == ["name", "label", "value", "grad"]
    assert parser.rows[1][1] == "<script>alert('x')</script>"  # shown as text
    assert parser.rows[2][:2] == ["w.1", "w⁽¹⁾₁₁"]
    assert "w^{(1)}_{11}" in parser.titles
    assert float(parser.rows[3][2]) == 0.0


def test_table_to_dict():
    model = trained_model()
    d = model.grad_table(layer=2).to_dict()
    p = model.layers[1].neurons[0].b
    assert d["layers.1.neurons.0.b"] == {"label": "b⁽²⁾₀", "value": p.data, "grad": p.grad}


def test_notation_L_writes_layers_from_the_output():
    from nn.table import GradTable

    model = MLP(2, [3, 2, 1], seed=0)
    numbered = GradTable.from_module(model)
    relative = GradTable.from_module(model, notation="L")
    assert [r.label for r in numbered][:2] == ["w⁽¹⁾₀₀", "w⁽¹⁾₀₁"]
    assert [r.label for r in relative][:2] == ["w⁽ᴸ⁻²⁾₀₀", "w⁽ᴸ⁻²⁾₀₁"]
    assert relative[-1].label == "b⁽ᴸ⁾₀" and "w⁽ᴸ⁻¹⁾₁₂" in str(relative)
    assert [r.value for r in relative] == [r.value for r in numbered]
    assert 'title="w^{(L-2)}_{00}"' in relative._repr_html_()
    only = GradTable.from_module(model, layer=2, notation="L")
    assert {r.label[:6] for r in only} == {"w⁽ᴸ⁻¹⁾", "b⁽ᴸ⁻¹⁾"}
    with pytest.raises(ValueError, match="notation must be"):
        GradTable.from_module(model, notation="relative")
    with pytest.raises(TypeError, match="notation must be one of"):
        GradTable.from_module(model, notation=None)


def test_the_module_method_takes_the_notation_too():
    model = MLP(2, [3, 2, 1], seed=0)
    labels = [r.label for r in model.grad_table(layer=3, notation="L")]
    assert labels == ["w⁽ᴸ⁾₀₀", "w⁽ᴸ⁾₀₁", "b⁽ᴸ⁾₀"]
    assert [r.label for r in model.grad_table(layer=3)] == ["w⁽³⁾₀₀", "w⁽³⁾₀₁", "b⁽³⁾₀"]
    with pytest.raises(ValueError, match="notation must be"):
        model.grad_table(notation="relative")
