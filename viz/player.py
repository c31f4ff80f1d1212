"""`play_backward`: the backward pass played step by step in a web page.

The page is one self-contained HTML document: the graph as inline SVG drawn
by Graphviz (through `viz.render`), the steps of `viz.backward_steps` as
inline JSON, and a small inline script and style sheet.  Nothing is fetched:
no CDN, no server, no kernel; the saved file works offline in any browser.

The player highlights the node being processed, writes each contribution
``g × ∂node/∂input`` on its edge as it is pushed, and fills in the
gradients: grey while a node has received nothing, orange while its sum is
partial, black once the node is reached (its gradient complete).  Controls:
reset, previous, play/pause, next, a slider, the keys ← → (Home, End),
and "actual size" (the picture unscaled, scrolled inside the player to the
current node; by default it is scaled down to the width available, unless
that would shrink it to under a third).

In a notebook the page is shown inside an ``<iframe srcdoc=...>``, so that
its script and style cannot clash with the notebook's own and the picture
is scaled to the width of the output column.  Where it plays:

- JupyterLab and classic Notebook: in the session where the cell ran, and
  afterwards in a trusted notebook.  An untrusted notebook (one opened from
  elsewhere, not run here) has its HTML outputs sanitised: the iframe is
  removed and what shows is the static part of the output, a table of the
  steps (run the cell again, or trust the notebook, to play it).
- VS Code notebooks: yes (outputs render in a webview that runs scripts).
- nbconvert's HTML export (``jupyter nbconvert --to html``): yes, offline.
- GitHub's notebook preview and other sanitising viewers: the table only.

No live kernel is needed anywhere: the steps are computed when the cell
runs and travel with the output.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

from autodiff.arguments import integer, type_name
from nn.files import write_atomically
from nn.notation import parse

from .graph import COLOURS, PATH_COLOUR
from .render import DotWriter, GraphvizNotFound, html_text, number
from .steps import BackwardSteps, backward_steps

#: The most values `play_backward` shows by default: a larger graph is
#: refused (with a hint to use ``focus=``) because its picture would be
#: unreadable and slow to lay out.
MAX_NODES = 400

RANKDIRS = ("LR", "TB", "RL", "BT")

# Room kept in a grad cell and on an edge for the numbers the script writes
# in later (Graphviz sizes a cell for its first text): ".4g" numbers are at
# most 10 characters (-1.235e-05).
_GRAD_ROOM = "\u2007" * 8
_TABLE_ROWS = 200  # steps listed in the static table of a notebook output


def play_backward(root, focus=None, max_nodes: int = MAX_NODES, rankdir: str = "LR"):
    """The backward pass from ``root`` as a step-by-step player.

    Args:
        root: the `Value` to take gradients of (the loss).
        focus: None (the whole graph), or a Value of the graph (say, one
            weight), or a list of them: the player shows only the paths
            from ``root`` down to the focus, with the inputs that the local
            derivatives of the nodes on them need (the partner of a weight
            in a weighted sum, say); the other inputs of an op are drawn as
            one small "+ n other inputs" note (see `viz.backward_steps`).
        max_nodes: the most values shown (400); a larger graph raises
            ValueError, suggesting ``focus=``.
        rankdir: the direction of the picture: "LR" (inputs on the left),
            "TB", "RL" or "BT".

    Returns:
        A `BackwardPlayer`: shown in Jupyter (see the module docstring for
        where it plays), with ``.html()`` (the page) and ``.save(path)``.
        No ``.grad`` is changed.

    Raises:
        TypeError: ``root`` or a focus is not a Value.
        ValueError: a focus not in the graph, a bad ``rankdir``, or more
            values than ``max_nodes``.
    """
    max_nodes = integer(max_nodes, "max_nodes", minimum=1)
    if not isinstance(rankdir, str) or rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    try:
        steps = backward_steps(root, focus=focus, max_nodes=max_nodes)
    except ValueError as error:
        if "max_nodes" not in str(error):
            raise
        raise ValueError(f"play_backward: {error}") from None
    return BackwardPlayer(steps, rankdir)


class BackwardPlayer:
    """A page that plays a backward pass (made by `viz.play_backward`).

    Attributes:
        steps: the `viz.BackwardSteps` played.
        rankdir: the direction of the picture.
    """

    __slots__ = ("steps", "rankdir", "_dot", "_page")

    def __init__(self, steps: BackwardSteps, rankdir: str = "LR") -> None:
        if not isinstance(steps, BackwardSteps):
            raise TypeError(f"steps must be a BackwardSteps, got {type_name(steps)}")
        self.steps = steps
        self.rankdir = rankdir
        self._dot = _dot(steps, rankdir)
        self._page: str | None = None

    def __repr__(self) -> str:
        return (
            f"<BackwardPlayer: {len(self.steps)} steps over {len(self.steps.nodes)} values; "
            ".save('backprop.html') writes the page>"
        )

    @property
    def source(self) -> str:
        """The DOT text of the picture."""
        return self._dot.source

    def html(self) -> str:
        """The player as one self-contained HTML document (rendered once).

        Raises:
            GraphvizNotFound: Graphviz's ``dot`` is not installed.
        """
        if self._page is None:
            svg = self._dot.svg()
            svg = svg[svg.index("<svg"):]  # without the XML prolog and doctype
            self._page = _page(svg, _payload(self.steps))
        return self._page

    def save(self, path) -> Path:
        """Write the player to ``path`` as a standalone HTML file.

        Args:
            path: a str or path ending in .html or .htm.  The file is
                written atomically and needs nothing else to play: open it
                in a browser, offline.

        Returns:
            The path written, as a `pathlib.Path`.

        Raises:
            TypeError: ``path`` is not a str or path.
            ValueError: another extension.
            GraphvizNotFound: Graphviz's ``dot`` is not installed.
        """
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {type_name(path)}")
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(
                f"a player is saved as an HTML page: the extension must be .html or .htm, "
                f"got {path.suffix or 'none'!r}"
            )
        write_atomically(path, self.html())
        return path

    def _repr_html_(self) -> str:
        """The notebook output: the page in an iframe, then the steps as a table."""
        return self._repr_mimebundle_()["text/html"]

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """Jupyter's hook: HTML (the player in an iframe and a static table of
        the steps) and plain text; without Graphviz, the text alone."""
        text = self._text()
        try:
            page = self.html()
        except (GraphvizNotFound, ImportError, RuntimeError) as error:
            return {"text/plain": f"(cannot draw the player: {error})\n\n{text}"}
        # The iframe starts tall enough for the picture at full width; the
        # page then sets the iframe's height to its own (same origin).
        height = 260 + min(_svg_height(page), 700)
        frame = (
            f'<iframe class="chainrule-player" srcdoc="{html.escape(page, quote=True)}" '
            f'style="width:100%;max-width:100%;height:{height}px;border:0;display:block" '
            'title="backward pass player">'
            "The interactive player did not load here (outputs of an untrusted notebook "
            "are sanitised): run the cell, or trust the notebook.</iframe>"
        )
        return {"text/html": frame + self._table_html(), "text/plain": text}

    # ------------------------------------------------------------------
    # The static views

    def _rows(self) -> list[tuple[str, str, str]]:
        names = [_name(node, i) for i, node in enumerate(self.steps.nodes)]
        rows = []
        for step in self.steps:
            pushes = "; ".join(
                f"{names[p.parent]} += {number(step.grad)} × {number(p.local_grad)} "
                f"= {number(p.contribution)}"
                for p in step.pushes
            )
            others = self.steps.others[step.node]
            if others:
                note = f"(+ {_others_text(others)} not shown)"
                pushes = f"{pushes}; {note}" if pushes else note
            rows.append((names[step.node], number(step.grad), pushes or "(leaf)"))
        return rows

    def _text(self) -> str:
        rows = self._rows()
        lines = [f"backward pass: {len(rows)} steps (node, gradient received, contributions)"]
        for i, (name, g, pushes) in enumerate(rows[:_TABLE_ROWS]):
            lines.append(f"{i + 1:>4}. {name}: grad {g}; {pushes}")
        if len(rows) > _TABLE_ROWS:
            lines.append(f"... ({len(rows) - _TABLE_ROWS} more steps)")
        return "\n".join(lines)

    def _table_html(self) -> str:
        rows = self._rows()
        body = "".join(
            f"<tr><td>{i + 1}</td><td>{html.escape(name)}</td><td>{g}</td>"
            f"<td>{html.escape(pushes)}</td></tr>"
            for i, (name, g, pushes) in enumerate(rows[:_TABLE_ROWS])
        )
        more = (
            f"<p>… {len(rows) - _TABLE_ROWS} more steps</p>" if len(rows) > _TABLE_ROWS else ""
        )
        return (
            '<details class="chainrule-steps" style="max-width:100%;overflow-x:auto">'
            f"<summary>the {len(rows)} steps as a table</summary>"
            "<table><thead><tr><th>step</th><th>node</th><th>gradient received</th>"
            f"<th>contributions pushed</th></tr></thead><tbody>{body}</tbody></table>{more}"
            "</details>"
        )


# --------------------------------------------------------------------------
# The picture


def _name(node, i: int) -> str:
    """How the player names a node: its label, else its position and op."""
    if node.label:
        return node.label
    return f"#{i} {node.op}" if node.parents else f"#{i} constant {number(node.data)}"


def _others_text(n: int) -> str:
    return f"{n} other input" if n == 1 else f"{n} other inputs"


def _kind(node, root) -> str:
    if node is root:
        return "root"
    if node.parents:
        return "computed"
    if not node.label:
        return "constant"
    parsed = parse(node.label)
    return "parameter" if parsed is not None and parsed.symbol in ("w", "b") else "input"


def _dot(steps: BackwardSteps, rankdir: str):
    """The DOT picture: one box per value (label, data, grad) with id ``v{i}``,
    one ellipse per op (``o{i}``), edges ``e{i}_{k}`` from input k to the op
    (labelled with the local derivative, and room for the contribution) and
    ``r{i}`` from the op to its value.  When focused, the inputs of an op
    that are left out are one small note ``n{i}`` ("+ n other inputs") with
    a dashed edge to the op."""
    writer = DotWriter(
        {"rankdir": rankdir, "fontname": "Helvetica", "bgcolor": "white"},
        {"fontname": "Helvetica", "fontsize": "11"},
        {"fontname": "Helvetica", "fontsize": "10", "arrowsize": "0.7"},
    )
    focus = set(steps.focus)
    step_of = {s.node: s for s in steps}
    for i, node in enumerate(steps.nodes):
        colour = COLOURS[_kind(node, steps.root)]
        cells = [f"<B>{html_text(node.label)}</B>"] if node.label else []
        cells.append(f"data {number(node.data)}")
        cells.append(f"grad {_GRAD_ROOM}")
        row = "".join(f"<TD>{c}</TD>" for c in cells)
        border = f' COLOR="{PATH_COLOUR}"' if node in focus else ""
        label = (
            f'<TABLE BORDER="{2 if node in focus else 0}" CELLBORDER="1" CELLSPACING="0" '
            f'CELLPADDING="3" BGCOLOR="{colour}"{border}><TR>{row}</TR></TABLE>'
        )
        writer.node(f"v{i}", f'id="v{i}", shape=plain, label=<{label}>')
        step = step_of.get(i)
        if not node.parents or step is None:
            continue  # a leaf, or an input around the focus whose own inputs are not shown
        writer.node(
            f"o{i}",
            f'id="o{i}", shape=ellipse, style=filled, fillcolor="{COLOURS["op"]}", '
            f'height=0.3, margin="0.04,0.02", label=<{html_text(node.op)}>',
        )
        for push in step.pushes:  # one per input shown
            writer.edge(
                f"v{push.parent}",
                f"o{i}",
                f'id="e{i}_{push.position}", '
                f'label=<× {number(push.local_grad)}<BR/>{_GRAD_ROOM}>',
            )
        others = steps.others[i]
        if others:
            # The inputs the local derivatives along the paths do not need.
            writer.node(
                f"n{i}",
                f'id="n{i}", shape=plain, fontsize="9", fontcolor="#666666", '
                f"label=<+ {_others_text(others)}>",
            )
            writer.edge(f"n{i}", f"o{i}", 'style=dashed, color="#999999", arrowhead=none')
        writer.edge(f"o{i}", f"v{i}", f'id="r{i}"')
    return writer.drawing()


def _svg_height(page: str) -> int:
    """The picture's height in CSS pixels (Graphviz writes it in points)."""
    start = page.find("<svg")
    head = page[start:page.find(">", start)]
    marker = 'height="'
    at = head.find(marker)
    if at < 0:
        return 400
    value = head[at + len(marker):head.find('"', at + len(marker))]
    try:
        return int(float(value.rstrip("pt")) * 4 / 3)
    except ValueError:
        return 400


# --------------------------------------------------------------------------
# The page


def _payload(steps: BackwardSteps) -> dict:
    """`BackwardSteps.to_dict` with the texts the page shows (numbers written
    as the pictures write them, so the script formats nothing)."""
    data = steps.to_dict()
    for i, (node, entry) in enumerate(zip(steps.nodes, data["nodes"])):
        entry["name"] = _name(node, i)
        entry["data_text"] = number(node.data)
    for step, entry in zip(steps, data["steps"]):
        entry["grad_text"] = number(step.grad)
        for push, p in zip(step.pushes, entry["pushes"]):
            p["local_text"] = number(push.local_grad)
            p["contribution_text"] = number(push.contribution)
            p["after_text"] = number(push.grad_after)
    return data


def _json_for_script(data: dict) -> str:
    # "<" only occurs inside JSON strings, where \u003c means the same, so no
    # label can close the <script> element that holds the data.
    return json.dumps(data, ensure_ascii=False, allow_nan=False).replace("<", "\\u003c")


def _page(svg: str, data: dict) -> str:
    n = len(data["steps"])
    return _PAGE.format(
        style=_STYLE,
        script=_SCRIPT,
        svg=svg,
        data=_json_for_script(data),
        last=max(n - 1, 0),
        n=n,
    )


_STYLE = """
html, body { margin: 0; padding: 0; background: #fff; }
body { font: 13px/1.4 Helvetica, Arial, sans-serif; color: #222; overflow-x: hidden; }
#player { box-sizing: border-box; width: 100%; max-width: 100%; padding: 6px; }
#controls { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
#controls button { font: inherit; padding: 2px 10px; cursor: pointer; }
#slider { flex: 1 1 160px; min-width: 80px; max-width: 100%; }
#info { margin: 6px 0; overflow-wrap: anywhere; }
#pushes-box { max-height: 12em; overflow: auto; max-width: 100%; }
#pushes { border-collapse: collapse; margin-top: 4px; max-width: 100%; }
#pushes td, #pushes th { border: 1px solid #ccc; padding: 1px 6px; text-align: left; }
#graph { width: 100%; max-width: 100%; overflow: hidden; }
#graph svg { display: block; max-width: 100%; height: auto; }
#graph.actual { overflow: auto; max-height: 640px; }
#graph.actual svg { max-width: none; }
#graph .node text.grad { fill: #aaa; }
#graph .node.partial text.grad { fill: #e66101; font-weight: bold; }
#graph .node.done text.grad { fill: #000; font-weight: bold; }
#graph .node.current polygon { stroke: #d7301f; stroke-width: 3px; }
#graph .edge path, #graph .edge polygon { stroke: #bbb; }
#graph .edge polygon { fill: #bbb; }
#graph .edge text { fill: #999; }
#graph .edge.pushed path, #graph .edge.pushed polygon { stroke: #333; }
#graph .edge.pushed polygon { fill: #333; }
#graph .edge.pushed text { fill: #333; }
#graph .edge.current path, #graph .edge.current polygon { stroke: #d7301f; stroke-width: 2.5px; }
#graph .edge.current polygon { fill: #d7301f; }
#graph .edge.current text { fill: #d7301f; font-weight: bold; }
.legend span { display: inline-block; margin-right: 12px; }
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("steps-data").textContent);
  var steps = D.steps, nodes = D.nodes, N = nodes.length;
  var $ = function (id) { return document.getElementById(id); };
  var slider = $("slider"), playButton = $("play");
  var cur = 0, timer = null;
  var gradText = [], edgeText = {};
  // The text elements the script rewrites: each value's grad cell and the
  // second line of each input edge's label.
  for (var i = 0; i < N; i++) {
    var g = $("v" + i), found = null;
    if (g) {
      var texts = g.getElementsByTagName("text");
      for (var t = 0; t < texts.length; t++) {
        if (texts[t].textContent.indexOf("grad") === 0) { found = texts[t]; }
      }
      if (found) { found.setAttribute("class", "grad"); }
    }
    gradText.push(found);
  }
  steps.forEach(function (s) {
    s.pushes.forEach(function (p) {
      var e = $("e" + s.node + "_" + p.position);
      if (e) {
        var texts = e.getElementsByTagName("text");
        edgeText[s.node + "_" + p.position] = texts.length > 1 ? texts[texts.length - 1] : null;
      }
    });
  });
  function setClass(el, base, extra) {
    if (el) { el.setAttribute("class", extra ? base + " " + extra : base); }
  }
  function fit() {
    // Inside a notebook's iframe: make the frame as tall as the page.
    try {
      var f = window.frameElement;
      // the player's own height (the document's would never let the frame shrink)
      if (f) { f.style.height = Math.ceil($("player").getBoundingClientRect().bottom + 4) + "px"; }
    } catch (err) { /* another origin: keep the frame's own height */ }
  }
  function show(k) {
    if (!steps.length) { return; }
    k = Math.max(0, Math.min(steps.length - 1, k | 0));
    cur = k;
    var text = new Array(N), reached = new Array(N), stepOf = {};
    text[D.root] = "1";
    for (var s = 0; s <= k; s++) {
      reached[steps[s].node] = true;
      steps[s].pushes.forEach(function (p) { text[p.parent] = p.after_text; });
    }
    for (var i = 0; i < N; i++) {
      var shown = text[i] === undefined ? "\u00b7" : text[i];
      if (gradText[i]) { gradText[i].textContent = "grad " + shown; }
      var state = reached[i] ? "done" : (text[i] === undefined ? "" : "partial");
      if (i === steps[k].node) { state += " current"; }
      setClass($("v" + i), "node", state);
    }
    steps.forEach(function (st, s) {
      var state = s < k ? "pushed" : (s === k ? "current" : "");
      setClass($("r" + st.node), "edge", state);
      st.pushes.forEach(function (p) {
        setClass($("e" + st.node + "_" + p.position), "edge", state);
        var label = edgeText[st.node + "_" + p.position];
        if (label) { label.textContent = s <= k ? "\u2192 " + p.contribution_text : ""; }
      });
    });
    var step = steps[k], node = nodes[step.node];
    $("step-index").textContent = "step " + (k + 1) + " of " + steps.length;
    var name = $("current-node");
    name.textContent = node.name;
    name.setAttribute("data-node", step.node);
    var grad = $("current-grad");
    grad.textContent = step.grad_text;
    grad.setAttribute("data-value", String(step.grad));
    var body = $("pushes-body");
    while (body.firstChild) { body.removeChild(body.firstChild); }
    step.pushes.forEach(function (p) {
      var row = document.createElement("tr");
      var product = step.grad_text + " \u00d7 " + p.local_text + " = " + p.contribution_text;
      var after = p.after_text + (nodes[p.parent].complete ? "" : " (from the values shown)");
      [nodes[p.parent].name, p.local_text, product, after].forEach(function (c) {
        var td = document.createElement("td");
        td.textContent = c;
        row.appendChild(td);
      });
      body.appendChild(row);
    });
    $("pushes").style.display = step.pushes.length ? "" : "none";
    $("leaf").style.display = step.pushes.length ? "none" : "";
    $("leaf").textContent = node.op ? "Its inputs are not shown: nothing to push along the paths." :
      "It is a leaf: nothing to push.";
    slider.value = String(k);
    centre($("v" + step.node));
    fit();
  }
  function centre(el) {
    // At actual size, scroll the picture (not the page around it) to the current node.
    var box = $("graph");
    if (!el || box.className !== "actual") { return; }
    var r = el.getBoundingClientRect(), c = box.getBoundingClientRect();
    box.scrollLeft += (r.left + r.width / 2) - (c.left + c.width / 2);
    box.scrollTop += (r.top + r.height / 2) - (c.top + c.height / 2);
  }
  function zoom(actual) {
    $("zoom").checked = actual;
    $("graph").className = actual ? "actual" : "";
    centre($("v" + (steps.length ? steps[cur].node : 0)));
    fit();
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    playButton.textContent = "\u25b6 play";
  }
  function play() {
    if (timer !== null) { stop(); return; }
    if (cur >= steps.length - 1) { show(0); }
    playButton.textContent = "|| pause";
    timer = setInterval(function () {
      if (cur >= steps.length - 1) { stop(); } else { show(cur + 1); }
    }, 800);
  }
  $("next").addEventListener("click", function () { stop(); show(cur + 1); });
  $("prev").addEventListener("click", function () { stop(); show(cur - 1); });
  $("reset").addEventListener("click", function () { stop(); show(0); });
  playButton.addEventListener("click", play);
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  document.addEventListener("keydown", function (e) {
    if (e.target && e.target.tagName === "INPUT") { return; }  // the slider moves itself
    var to = {ArrowRight: cur + 1, ArrowLeft: cur - 1, Home: 0, End: steps.length - 1}[e.key];
    if (to === undefined) { return; }
    e.preventDefault();
    stop();
    show(to);
  });
  $("zoom").addEventListener("change", function () { zoom($("zoom").checked); });
  window.addEventListener("resize", fit);
  show(0);
  // A picture that would shrink to under a third of its size starts at actual size.
  var svg = document.querySelector("#graph svg");
  if (svg && svg.width.baseVal.value > 3 * $("graph").clientWidth) { zoom(true); }
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>the backward pass, step by step</title>
<style>{style}</style>
</head>
<body>
<div id="player">
<div id="controls">
<button id="reset" type="button" title="back to the first step (Home)">reset</button>
<button id="prev" type="button" title="previous step (&#x2190;)">&#x25c0; previous</button>
<button id="play" type="button" title="play / pause">&#x25b6; play</button>
<button id="next" type="button" title="next step (&#x2192;)">next &#x25b6;</button>
<input id="slider" type="range" min="0" max="{last}" value="0" step="1" aria-label="step">
<span id="step-index">step 1 of {n}</span>
<label title="the picture at its own size, scrolled inside the player">
<input id="zoom" type="checkbox"> actual size</label>
</div>
<div id="info">
<b id="current-node"></b> is reached with its gradient complete:
&#x2202;root/&#x2202;node = <b id="current-grad"></b>.
<span id="leaf">It is a leaf: nothing to push.</span>
<div id="pushes-box"><table id="pushes"><thead><tr><th>input</th><th>local derivative d</th>
<th>contribution g &#xd7; d</th><th>input's gradient now</th></tr></thead>
<tbody id="pushes-body"></tbody></table></div>
</div>
<div id="graph">{svg}</div>
<div class="legend"><span>grey: nothing received yet</span><span>orange: partial sum</span>
<span>black: complete</span><span>red: this step</span></div>
</div>
<script type="application/json" id="steps-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""
