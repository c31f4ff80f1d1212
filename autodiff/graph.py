"""The one traversal of the graph: an iterative topological sort.

`backward`, `grad`, `zero_grad` and `viz` all walk the graph through
`topological_order`; nothing walks it recursively, so a chain of a million
nodes needs no more than a list as deep as the chain.
"""

from __future__ import annotations

from typing import Any, Iterable


def topological_order(roots: Any, *, exclude: Iterable = ()) -> list:
    """Every node reachable from ``roots`` (a node or an iterable of nodes),
    each placed after all of its parents; roots come after their ancestors.

    Depth-first, with an explicit stack: the nodes being visited and, beside
    them, iterators over their remaining parents.  The order is
    deterministic: it depends only on the graph's structure and the order of
    each node's parents.

    Args:
        roots: a node, or an iterable of nodes.
        exclude: nodes neither listed nor walked through: what lies behind
            them is listed only if another path reaches it (`grad`'s
            ``stop_at``).

    Returns:
        A list of nodes.
    """
    if hasattr(roots, "parents"):
        roots = (roots,)
    order: list = []
    seen: set = set(exclude)
    append = order.append
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        if not root.parents:
            append(root)
            continue
        nodes = [root]
        pending = [iter(root.parents)]
        while nodes:
            for parent in pending[-1]:
                if parent not in seen:
                    seen.add(parent)
                    if parent.parents:
                        nodes.append(parent)
                        pending.append(iter(parent.parents))
                        break
                    append(parent)  # a leaf is finished as soon as it is seen
            else:
                pending.pop()
                append(nodes.pop())
    return order
