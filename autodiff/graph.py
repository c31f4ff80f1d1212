"""The one traversal of the graph: an iterative topological sort.

`backward`, `grad`, `zero_grad` and `viz` all walk the graph through
`topological_order`; nothing walks it recursively, so a chain of a million
nodes needs no more than a list as deep as the chain.
"""

from __future__ import annotations

from typing import Iterable


def topological_order(roots) -> list:
    """Every node reachable from ``roots`` (a node or an iterable of nodes),
    each placed after all of its parents; roots come after their ancestors.

    Depth-first, with an explicit stack of (node, iterator over its parents).
    The order is deterministic: it depends only on the graph's structure and
    the order of each node's parents.
    """
    if hasattr(roots, "parents"):
        roots = (roots,)
    order: list = []
    seen: set = set()
    append = order.append
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(root.parents))]
        while stack:
            node, pending = stack[-1]
            for parent in pending:
                if parent not in seen:
                    seen.add(parent)
                    if parent.parents:
                        stack.append((parent, iter(parent.parents)))
                        break
                    append(parent)  # a leaf is finished as soon as it is seen
            else:
                stack.pop()
                append(node)
    return order


def leaves(roots: Iterable) -> list:
    """The nodes without parents reachable from ``roots``, in topological order."""
    return [node for node in topological_order(roots) if not node.parents]
