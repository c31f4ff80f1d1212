"""Graph-drawing code written the way micrograd users write it (a recursive
trace over ``_prev``, op nodes named ``str(id(n)) + n._op``, a graphviz
Digraph) draws a chainrule graph unchanged."""

import re
import shutil

import pytest

from autodiff import Value

graphviz = pytest.importorskip("graphviz", reason="the users' code draws with graphviz")


def trace(root):
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def draw_dot(root):
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        dot.node(name=uid, label="{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad),
                 shape="record")
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def _graph():
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(
        -2.0, label="f"
    )
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    L.backward()
    return dict(a=a, b=b, c=c, f=f, e=e, d=d, L=L)


def test_the_users_draw_dot_draws_the_chainrule_graph():
    v = _graph()
    dot = draw_dot(v["L"])
    source = dot.source
    # one record per Value, with its label, data and grad (L = (a·b + c)·f)
    records = dict(re.findall(r'label="\{ (\w+) \| (data [-\d.]+ \| grad [-\d.]+) \}"', source))
    assert records == {
        "a": "data 2.0000 | grad 6.0000",
        "b": "data -3.0000 | grad -4.0000",
        "c": "data 10.0000 | grad -2.0000",
        "f": "data -2.0000 | grad 4.0000",
        "e": "data -6.0000 | grad -2.0000",
        "d": "data 4.0000 | grad -2.0000",
        "L": "data -8.0000 | grad 1.0000",
    }
    # an op node per op result, each feeding its result, each fed by its children
    ops = {name: str(id(v[name])) + sym for name, sym in (("e", "*"), ("d", "+"), ("L", "*"))}
    edges = set(re.findall(r"^\s*(\S+) -> (\S+)$", source, re.M))
    expected = {(ops[n], str(id(v[n]))) for n in ops}
    for child, parent in (("a", "e"), ("b", "e"), ("e", "d"), ("c", "d"), ("d", "L"), ("f", "L")):
        expected.add((str(id(v[child])), ops[parent]))
    assert {(x.strip('"'), y.strip('"')) for x, y in edges} == expected


@pytest.mark.skipif(shutil.which("dot") is None, reason="rendering needs Graphviz's dot")
def test_the_drawing_renders():
    svg = draw_dot(_graph()["L"]).pipe(format="svg").decode()
    assert svg.count("<g id=\"node") == 7 + 3
