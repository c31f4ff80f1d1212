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
    visit = seen.add
    finished = seen.issuperset
    for root in roots:
        if root in seen:
            continue
        visit(root)
        if not root.parents:
            append(root)
            continue
        nodes = [root]  # the path being visited, root first
        pending = [iter(root.parents)]  # beside each, its parents left to see
        parents = pending[-1]  # the last node's, kept at hand
        while True:
            for parent in parents:
                if parent not in seen:
                    visit(parent)
                    grandparents = parent.parents
                    # All of them seen: all finished (a seen node not yet
                    # finished would be on the path, a cycle), so this node
                    # is too; the set says so without a loop in Python.
                    if grandparents and not finished(grandparents):
                        nodes.append(parent)
                        parents = iter(grandparents)
                        pending.append(parents)
                        break
                    append(parent)  # a leaf, or a node whose parents are all listed
            else:
                pending.pop()
                append(nodes.pop())
                if not pending:
                    break
                parents = pending[-1]
    return order
