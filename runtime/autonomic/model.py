"""The instance tree that autonomic commands change: paths, components and life-cycle states.

A small model on purpose: what the commands language can observe and change (runtime.md §6.3).
Every change is returned as a :class:`Change`, so that a caller can show what a command did.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NOT_DEPLOYED = "NOT_DEPLOYED"
DEPLOYED_STARTED = "DEPLOYED_STARTED"
DEPLOYED_STOPPED = "DEPLOYED_STOPPED"


@dataclass(slots=True)
class Node:
    component: str
    state: str
    #: created by a rule-triggered command (counts toward the autonomic VM cap)
    autonomic: bool = False
    #: ``delete`` asked while it was deployed: removed once it is NOT_DEPLOYED
    delete_later: bool = False


@dataclass(frozen=True, slots=True)
class Change:
    """One change of the tree: ``created``, ``deleted``, ``renamed`` or ``state``."""

    kind: str
    path: str
    component: str
    before: str | None = None
    after: str | None = None

    def text(self) -> str:
        if self.kind == "created":
            return f"+ {self.path} ({self.component}) {self.after}"
        if self.kind == "deleted":
            return f"- {self.path} ({self.component})"
        if self.kind == "renamed":
            return f"~ {self.before} renamed {self.path}"
        if self.kind == "flagged":
            return f"  {self.path} ({self.component}) will be deleted once NOT_DEPLOYED"
        return f"  {self.path} ({self.component}) {self.before} -> {self.after}"

    def document(self) -> dict[str, str | None]:
        return {
            "kind": self.kind,
            "path": self.path,
            "component": self.component,
            "before": self.before,
            "after": self.after,
        }


@dataclass
class Tree:
    """Instance path → node, in creation order (a parent before its children)."""

    nodes: dict[str, Node] = field(default_factory=dict)

    def subtree(self, path: str) -> list[str]:
        head = path.rstrip("/") + "/"
        return [p for p in self.nodes if p == path or p.startswith(head)]

    def parent(self, path: str) -> str | None:
        head = path.rsplit("/", 1)[0]
        return head if head else None

    def machines(self, autonomic_only: bool = False) -> int:
        return sum(1 for p, n in self.nodes.items() if p.count("/") == 1 and (n.autonomic or not autonomic_only))

    def create(self, path: str, component: str, autonomic: bool) -> list[Change]:
        self.nodes[path] = Node(component, NOT_DEPLOYED, autonomic)
        return [Change("created", path, component, None, NOT_DEPLOYED)]

    def copy(self, source: str, target: str, autonomic: bool) -> list[Change]:
        out: list[Change] = []
        for p in self.subtree(source):
            new = target + p[len(source) :]
            out.extend(self.create(new, self.nodes[p].component, autonomic and new == target))
        return out

    def rename(self, path: str, name: str) -> list[Change]:
        parent = self.parent(path)
        target = f"{parent or ''}/{name}"
        moved = {p: target + p[len(path) :] for p in self.subtree(path)}
        self.nodes = {moved.get(p, p): n for p, n in self.nodes.items()}
        return [Change("renamed", target, self.nodes[target].component, path, target)]

    def set_state(self, paths: list[str], state: str) -> list[Change]:
        out: list[Change] = []
        for p in paths:
            node = self.nodes.get(p)
            if node is None or node.state == state:
                continue
            out.append(Change("state", p, node.component, node.state, state))
            node.state = state
        return out + self.collect()

    def delete(self, path: str) -> list[Change]:
        paths = self.subtree(path)
        if all(self.nodes[p].state == NOT_DEPLOYED for p in paths):
            return self._remove(paths)
        self.nodes[path].delete_later = True
        return [Change("flagged", path, self.nodes[path].component)]

    def collect(self) -> list[Change]:
        """Remove the instances flagged for deletion whose subtree is now NOT_DEPLOYED (runtime.md §6.3 [F])."""
        out: list[Change] = []
        for p in [p for p, n in self.nodes.items() if n.delete_later]:
            if p in self.nodes and all(self.nodes[q].state == NOT_DEPLOYED for q in self.subtree(p)):
                out.extend(self._remove(self.subtree(p)))
        return out

    def _remove(self, paths: list[str]) -> list[Change]:
        out = [Change("deleted", p, self.nodes[p].component) for p in paths]
        for p in paths:
            del self.nodes[p]
        return out

    def document(self) -> list[dict[str, str]]:
        return [{"path": p, "component": n.component, "state": n.state} for p, n in self.nodes.items()]
