"""Helpers for the viz tests: reading Graphviz's SVG output."""

import xml.etree.ElementTree as ET

import pytest

SVG = "{http://www.w3.org/2000/svg}"


def _texts(g):
    # Graphviz writes repeated spaces as a space and a no-break space.
    return [(t.text or "").replace("\xa0", " ") for t in g.iter(f"{SVG}text")]


def _stroke(g):
    for path in g.iter(f"{SVG}path"):
        return path.get("stroke")
    return None


def _width(g):
    for path in g.iter(f"{SVG}path"):
        return float(path.get("stroke-width", "1"))
    return None


def read_svg(svg: str) -> dict:
    """The nodes and edges of a Graphviz SVG.

    Returns {"nodes": {title: [texts]}, "edges": [(tail, head, [texts], stroke)],
    "centres": {title: (x, y)} for ellipse-shaped nodes, "widths": {(tail, head):
    stroke width}}.  Parsing with ElementTree also checks that the SVG is
    well-formed XML.
    """
    root = ET.fromstring(svg.encode("utf-8"))
    nodes, edges, centres, widths = {}, [], {}, {}
    for g in root.iter(f"{SVG}g"):
        cls = g.get("class")
        if cls not in ("node", "edge"):
            continue
        title = g.find(f"{SVG}title").text
        if cls == "node":
            nodes[title] = _texts(g)
            ellipse = g.find(f"{SVG}ellipse")
            if ellipse is not None:
                centres[title] = (float(ellipse.get("cx")), float(ellipse.get("cy")))
        else:
            tail, head = title.split("->")
            edges.append((tail, head, _texts(g), _stroke(g)))
            widths[(tail, head)] = _width(g)
    return {"nodes": nodes, "edges": edges, "centres": centres, "widths": widths}


@pytest.fixture
def svg_of(require_dot):
    """Render a drawing with the real `dot` and read its SVG."""

    def render(drawing):
        return read_svg(drawing.svg())

    return render

