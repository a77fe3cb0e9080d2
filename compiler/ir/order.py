"""Start-up order: Roboconf's start conditions, as waits per instance and as waves.

Roboconf starts an instance once its parent is started and every mandatory import prefix has at least
one started exporter (runtime.md §1.3; compile.md §4.1): a parent is an all-of condition, an import
prefix an *any-of* one.  The waves are the earliest round in which each instance can start when every
instance starts as soon as it may: ``wave = 1 + max(parent's wave, min over each prefix's exporters)``.
They are computed in one pass over the conditions (an instance becomes ready when its last condition is
met, processed in wave order), so an application of thousands of instances is ordered in linear time.
An instance whose condition can never hold (no exporter, or exporters that wait for it) gets no wave.
"""

from __future__ import annotations

from collections import deque

from rbcc.compiler.ir.model import InstanceIR, Wait


def waits_of(inst: InstanceIR) -> list[Wait]:
    """The deploy and start conditions of ``inst``, with a reason for each."""
    out: list[Wait] = []
    if inst.parent is not None:
        out.append(Wait("deploy", "parent", (inst.parent,), "deployed", f"its parent {inst.parent} is deployed first"))
        out.append(Wait("start", "parent", (inst.parent,), "started", f"its parent {inst.parent} is started first"))
    for imp in inst.imports:
        if imp.optional or not imp.exporters:
            continue
        paths = tuple(e.path for e in imp.exporters)
        what = ", ".join(imp.names)
        who = paths[0] if len(paths) == 1 else f"one of {len(paths)} exporters"
        out.append(Wait("start", "import", paths, "started", f"it imports {what} (mandatory) from {who}"))
    return out


def assign_waves(instances: list[InstanceIR]) -> None:
    """Set ``wave`` on every instance whose start conditions can hold (see the module docstring)."""
    index = {i.path: n for n, i in enumerate(instances)}
    # Each start condition is a group of alternatives; a group is met by its first started member.
    remaining = [0] * len(instances)
    met_wave = [-1] * len(instances)  # the highest wave among the conditions met so far
    waiting_on: dict[int, list[tuple[int, int]]] = {}  # member → (instance, group id)
    group_met: list[bool] = []
    for n, inst in enumerate(instances):
        groups = [w.any_of for w in inst.waits if w.step == "start"]
        blocked = any(not imp.optional and not imp.exporters for imp in inst.imports)
        if blocked:
            remaining[n] = -1
            continue
        for members in groups:
            gid = len(group_met)
            group_met.append(False)
            remaining[n] += 1
            for m in members:
                k = index.get(m)
                if k is not None:
                    waiting_on.setdefault(k, []).append((n, gid))
    queue: deque[int] = deque()
    for n, inst in enumerate(instances):
        inst.wave = None
        if remaining[n] == 0:
            inst.wave = 0
            queue.append(n)
    while queue:
        k = queue.popleft()
        wave = instances[k].wave
        assert wave is not None
        for n, gid in waiting_on.get(k, ()):
            if group_met[gid] or remaining[n] <= 0:
                continue
            group_met[gid] = True
            met_wave[n] = max(met_wave[n], wave)
            remaining[n] -= 1
            if remaining[n] == 0:
                instances[n].wave = met_wave[n] + 1
                queue.append(n)
