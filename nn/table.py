"""The gradient table: every parameter with its label, value and gradient.

``str(model.grad_table())`` is an aligned text table for terminals::

    name                    label       value          grad
    layers.2.neurons.0.w.0  w⁽³⁾₀₀   0.523154   -0.0131937
    ...

and in a notebook the table shows as HTML (`GradTable._repr_html_`), every
cell escaped, the label shown in Unicode with its LaTeX form as a tooltip.
With ``notation="L"`` the labels are written relative to the output layer L,
as “Backpropagation Explained” writes them (w⁽ᴸ⁾₀₀, w⁽ᴸ⁻¹⁾₂₂); the default "number" keeps the
layers' numbers.
"""

from __future__ import annotations

import html
import math
from typing import NamedTuple

from autodiff.arguments import is_int

from .notation import check_notation, output_layer, parse, relabel, to_latex

__all__ = ["GradRow", "GradTable"]


class GradRow(NamedTuple):
    """One parameter: its dotted ``name``, ``label`` (seeds' notation),
    ``value`` (``.data``) and ``grad``."""

    name: str
    label: str
    value: float
    grad: float


def _number(x: float) -> str:
    return f"{x:.6g}" if math.isfinite(x) else str(x)


def _check_filter(value, what: str, minimum: int) -> None:
    if value is None:
        return
    if not is_int(value) or value < minimum:
        raise ValueError(f"grad_table: {what} must be None or an int >= {minimum}, got {value!r}")


class GradTable:
    """A snapshot of parameters, values and gradients.

    Attributes:
        rows (list[GradRow]): one per parameter, in `parameters` order.

    Iterating yields the rows; ``len`` is their number.
    """

    def __init__(self, rows) -> None:
        self.rows = [GradRow(*row) for row in rows]

    @classmethod
    def from_module(
        cls,
        module,
        layer: int | None = None,
        neuron: int | None = None,
        notation: str = "number",
    ):
        """The table of ``module``'s parameters.

        Args:
            module: any `nn.Module`.
            layer: keep only parameters of layer l (1-based, as in w⁽ˡ⁾ⱼₖ).
            neuron: keep only parameters of node j (0-based) of their layer.
            notation: how the label column writes layers: "number" (w⁽²⁾₁₂,
                the labels as they are) or "L", relative to the output layer
                L, the module's largest layer (w⁽ᴸ⁻¹⁾₁₂).

        Raises:
            ValueError: for a bad filter, or a filter that matches nothing
                (the message gives the layers/nodes that exist); for a
                notation other than "number" or "L".
            TypeError: for a notation that is not a str.
        """
        _check_filter(layer, "layer", 1)
        _check_filter(neuron, "neuron", 0)
        check_notation(notation)
        rows = []
        seen_layers, seen_nodes = set(), set()
        for name, p in module.named_parameters():
            parsed = parse(p.label)
            if parsed is not None:
                seen_layers.add(parsed.l)
                if layer is None or parsed.l == layer:
                    seen_nodes.add(parsed.j)
            if layer is not None and (parsed is None or parsed.l != layer):
                continue
            if neuron is not None and (parsed is None or parsed.j != neuron):
                continue
            rows.append((name, p.label, p.data, p.grad))
        if notation != "number" and rows:
            L = output_layer(p.label for p in module.parameters())  # noqa: N806
            rows = [(name, relabel(lab, L, notation), v, g) for name, lab, v, g in rows]
        if not rows and (layer is not None or neuron is not None):
            if layer is not None and layer not in seen_layers:
                raise ValueError(
                    f"grad_table: no layer {layer}; the model's layers are {sorted(seen_layers)}"
                )
            raise ValueError(
                f"grad_table: no node {neuron} in "
                f"{'layer ' + str(layer) if layer is not None else 'any layer'}; "
                f"nodes are {sorted(seen_nodes)}"
            )
        return cls(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    def __str__(self) -> str:
        header = ("name", "label", "value", "grad")
        cells = [(r.name, r.label, _number(r.value), _number(r.grad)) for r in self.rows]
        widths = [max(len(row[i]) for row in [header, *cells]) for i in range(4)]
        lines = []
        for row in [header, *cells]:
            lines.append(
                "  ".join(
                    [
                        row[0].ljust(widths[0]),
                        row[1].ljust(widths[1]),
                        row[2].rjust(widths[2]),
                        row[3].rjust(widths[3]),
                    ]
                ).rstrip()
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        """An HTML table for Jupyter, every cell escaped."""
        esc = html.escape
        out = [
            "<table class=\"chainrule-grad-table\">",
            "<thead><tr><th>name</th><th>label</th><th>value</th><th>grad</th></tr></thead>",
            "<tbody>",
        ]
        for r in self.rows:
            latex = to_latex(r.label)
            out.append(
                f"<tr><td><code>{esc(r.name)}</code></td>"
                f"<td title=\"{esc(latex, quote=True)}\">{esc(r.label)}</td>"
                f"<td style=\"text-align:right\">{esc(_number(r.value))}</td>"
                f"<td style=\"text-align:right\">{esc(_number(r.grad))}</td></tr>"
            )
        out.append("</tbody></table>")
        return "\n".join(out)

    def to_dict(self) -> dict[str, dict]:
        """``{name: {"label": …, "value": …, "grad": …}}``."""
        return {r.name: {"label": r.label, "value": r.value, "grad": r.grad} for r in self.rows}
