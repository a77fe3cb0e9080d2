"""The Kubernetes target: plain manifests and a ``kustomization.yaml`` (``kubectl apply -k``).

Per unit (compile.md §2.4, §4.5): a ConfigMap with the unit's environment; a Deployment whose Pod
reads it, carries a hash of it (a change of the import lists rolls the Pod out, as Roboconf's
``update`` would reconfigure), has a readiness probe from the health check (``ready`` for images
without a shell), and one init container per mandatory dependency that waits until the exporter
answers; a Service with the unit's ports, or a headless one without ports so that the DNS name
importers receive exists anyway.  A container nested in another runs in its parent's Pod; instances
of one root are kept on one node by pod affinity.  Names are the same as in Compose; ``ip`` is the
Pod's own address (downward API), as Roboconf gives a machine's address.  The members of a
self-importing cluster are StatefulSets governed by one headless Service (:func:`clusters`).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from rbcc.compiler.ir.build import CompileOptions
from rbcc.compiler.ir.external import Placeholder, external_config_map, unbound_problems
from rbcc.compiler.ir.model import CompiledApplication, Service
from rbcc.compiler.ir.names import dns_name
from rbcc.compiler.targets.yamltext import dump, dump_all
from rbcc.dsl import Level, Problem, problem

K8S_DIR = "k8s"
_CLAIM: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
WAIT_IMAGE = "busybox:1.36"
_DURATION_PART = re.compile(r"(\d+)(ms|us|ns|s|m|h)")
_SECONDS = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 0.000001, "ns": 0.000000001}


def _seconds(duration: str | None, default: int) -> int:
    if not duration:
        return default
    total = sum(int(n) * _SECONDS[u] for n, u in _DURATION_PART.findall(duration))
    return max(1, round(total))


def check(app: CompiledApplication) -> list[Problem]:
    name = external_config_map(app.name)
    out: list[Problem] = unbound_problems(
        app,
        Level.WARNING,
        f"Its Pods read the values from the ConfigMap {name}, which the deployment creates first "
        f"(kubectl create configmap {name} --from-literal=RBCC_EXT_...=...), or compile with --bind PREFIX=DIR.",
    )
    for s in app.services:
        if not s.spec.image:
            inst = app.by_path[s.instance]
            out.append(
                problem(
                    "CMP_SWARM_NEEDS_IMAGE",
                    inst.source.name_range if inst.source else None,
                    ("SERVICE", s.name),
                    ("TARGET", "k8s"),
                )
            )
    return out


def _labels(app: CompiledApplication, s: Service) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": s.name,
        "app.kubernetes.io/part-of": dns_name(app.name),
        "app.kubernetes.io/managed-by": "rbcc",
        "roboconf.net/root": dns_name(s.root),
    }


def _env(app: CompiledApplication, s: Service) -> list[dict[str, Any]]:
    """Variables that must differ from the ConfigMap.

    ``ip`` is the Pod's own address; the value of an unbound external import comes from the
    ConfigMap the deployment creates (:func:`rbcc.compiler.ir.external.external_config_map`).
    """
    out: list[dict[str, Any]] = []
    if "ip" in s.env:
        out.append({"name": "ip", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}})
    for key, value in s.env.items():
        if isinstance(value, Placeholder):
            ref = {"name": external_config_map(app.name), "key": value.variable}
            out.append({"name": key, "valueFrom": {"configMapKeyRef": ref}})
    return out


def _probe(s: Service) -> dict[str, Any] | None:
    spec = s.spec
    h = spec.health
    timing: dict[str, Any] = {}
    if h is not None:
        timing = {
            "periodSeconds": _seconds(h.interval, 10),
            "timeoutSeconds": _seconds(h.timeout, 1),
            "failureThreshold": h.retries or 3,
        }
        if h.start_period:
            timing["initialDelaySeconds"] = _seconds(h.start_period, 0)
    if spec.ready is not None:
        kind, var, path = spec.ready
        port = next(p.container for p in spec.ports if p.variable == var)
        action: dict[str, Any] = (
            {"tcpSocket": {"port": port}} if kind == "tcp" else {"httpGet": {"path": path, "port": port}}
        )
        return {**action, **timing}
    if h is None or h.test == ("NONE",):
        return None
    command = ["sh", "-c", h.test[1]] if h.test[0] == "CMD-SHELL" else list(h.test[1:])
    return {"exec": {"command": command}, **timing}


def _container(app: CompiledApplication, s: Service) -> dict[str, Any]:
    spec = s.spec
    c: dict[str, Any] = {"name": s.name, "image": spec.image or ""}
    if spec.entrypoint is not None:
        c["command"] = list(spec.entrypoint)
    if spec.command is not None:
        c["args"] = list(spec.command)
    if spec.working_dir:
        c["workingDir"] = spec.working_dir
    c["envFrom"] = [{"configMapRef": {"name": f"{s.name}-env"}}]
    env = _env(app, s)
    if env:
        c["env"] = env
    if spec.ports:
        c["ports"] = [
            {"name": _port_name(p.variable), "containerPort": p.container, "protocol": p.protocol.upper()}
            for p in spec.ports
        ]
    probe = _probe(s)
    if probe is not None:
        c["readinessProbe"] = probe
    if spec.volumes:
        c["volumeMounts"] = [{"name": _port_name(n), "mountPath": path} for n, path in sorted(spec.volumes.items())]
    security: dict[str, Any] = {}
    if spec.cap_add:
        security["capabilities"] = {"add": list(spec.cap_add)}
    if spec.user and spec.user.isdigit():
        security["runAsUser"] = int(spec.user)
    if security:
        c["securityContext"] = security
    return c


def _port_name(text: str) -> str:
    """An IANA_SVC_NAME (≤ 15 characters, lower case, letters, digits and inner dashes)."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "p"
    if len(name) > 15:
        name = name[:9].rstrip("-") + "-" + hashlib.sha256(text.encode()).hexdigest()[:5]
    if not re.search(r"[a-z]", name):
        name = ("p-" + name)[:15]
    return name


def _waits(s: Service) -> list[dict[str, Any]]:
    out = []
    for d in s.depends:
        if not d.required:
            continue
        if d.probes:
            checks = " && ".join(f"nc -z -w 2 {host} {port}" for host, port in d.probes)
        else:
            checks = f"nslookup {d.on}"
        script = f"until {checks}; do echo waiting for {d.on}; sleep 2; done"
        out.append(
            {
                "name": f"wait-{d.on}"[:63],
                "image": WAIT_IMAGE,
                "command": ["sh", "-c", script],
            }
        )
    return out


def _config_hash(envs: dict[str, dict[str, str]]) -> str:
    digest = hashlib.sha256()
    for name in sorted(envs):
        for key, value in envs[name].items():  # environments are already sorted by name
            digest.update(f"{name}\0{key}\0{value}\0".encode())
    return digest.hexdigest()[:16]


def clusters(app: CompiledApplication) -> dict[str, str]:
    """Top-level service → the headless Service of its cluster, for the members of self-importing clusters.

    A cluster is the services of one component whose instances import that component's own
    exports from one another (``imports: db.* (optional)`` in ``db``): its members must reach each
    other by stable names before any of them is ready (a quorum forms first).  Each member becomes a
    StatefulSet governed by one headless Service of the cluster (``publishNotReadyAddresses``).
    """
    service_of = {}
    for sv in app.services:
        for path in (sv.instance, *sv.colocated):
            service_of[path] = sv
    members: dict[str, list[Service]] = {}
    for sv in app.services:
        if sv.parent_service is not None:
            continue
        inst = app.by_path[sv.instance]
        peers = [
            e.path
            for imp in inst.imports
            for e in imp.exporters
            if e.path in service_of
            and service_of[e.path].name != sv.name
            and service_of[e.path].component == sv.component
            and service_of[e.path].instance == e.path
        ]
        if peers:
            members.setdefault(sv.component, []).append(sv)
    taken = {sv.name for sv in app.services}
    out: dict[str, str] = {}
    for component in sorted(members):
        base = dns_name(f"{component}-peers")[:63].rstrip("-")
        name, n = base, 2
        while name in taken:
            name, n = f"{base[:58]}-{n}", n + 1
        taken.add(name)
        for sv in members[component]:
            out[sv.name] = name
    return out


def manifests(
    app: CompiledApplication, s: Service, nested: list[Service], cluster: str | None = None
) -> list[dict[str, Any]]:
    labels = _labels(app, s)
    if cluster is not None:
        labels["roboconf.net/cluster"] = cluster
    selector = {"app.kubernetes.io/name": s.name, "app.kubernetes.io/part-of": labels["app.kubernetes.io/part-of"]}
    members = [s, *nested]
    docs: list[dict[str, Any]] = []
    for m in members:
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"{m.name}-env", "labels": _labels(app, m)},
                "data": {k: v for k, v in m.env.items() if not isinstance(v, Placeholder)},
            }
        )
    pod: dict[str, Any] = {}
    waits = [w for m in members for w in _waits(m) if not any(w["name"] == f"wait-{x.name}" for x in members)]
    if waits:
        pod["initContainers"] = waits
    pod["containers"] = [_container(app, m) for m in members]
    claims = [(m, n) for m in members for n in sorted(m.spec.volumes)]
    if claims and cluster is None:  # a StatefulSet claims its volumes through volumeClaimTemplates
        pod["volumes"] = [
            {"name": _port_name(n), "persistentVolumeClaim": {"claimName": f"{m.name}-{n}"}} for m, n in claims
        ]
    if s.hosts:
        pod["affinity"] = {
            "podAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {
                            "labelSelector": {"matchLabels": {"roboconf.net/root": labels["roboconf.net/root"]}},
                            "topologyKey": "kubernetes.io/hostname",
                        },
                    }
                ]
            }
        }
    annotations = {
        "roboconf.net/instance-path": s.instance,
        "roboconf.net/config-hash": _config_hash({m.name: m.env for m in members}),
    }
    workload: dict[str, Any] = {
        "replicas": s.replicas,
        "selector": {"matchLabels": selector},
        "template": {"metadata": {"labels": labels, "annotations": annotations}, "spec": pod},
    }
    if cluster is not None:
        workload = {"serviceName": cluster, **workload}
        if claims:
            workload["volumeClaimTemplates"] = [
                {"metadata": {"name": _port_name(n), "labels": _labels(app, m)}, "spec": _CLAIM} for m, n in claims
            ]
    docs.append(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment" if cluster is None else "StatefulSet",
            "metadata": {"name": s.name, "labels": labels, "annotations": {"roboconf.net/instance-path": s.instance}},
            "spec": workload,
        }
    )
    svc: dict[str, Any] = {"selector": selector}
    service_ports = [
        {"name": _port_name(p.variable), "port": p.container, "targetPort": p.container, "protocol": p.protocol.upper()}
        for m in members
        for p in m.spec.ports
    ]
    if service_ports:
        svc["ports"] = service_ports
    else:
        svc["clusterIP"] = "None"
    if cluster is not None:  # peers reach a member before it is ready: a quorum forms first
        svc["publishNotReadyAddresses"] = True
    docs.append(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": s.name, "labels": labels, "annotations": {"roboconf.net/instance-path": s.instance}},
            "spec": svc,
        }
    )
    for alias in s.shared_aliases:  # the name other applications receive for this exporter
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": alias, "labels": labels, "annotations": {"roboconf.net/exported-by": s.instance}},
                "spec": dict(svc),
            }
        )
    if cluster is None:
        for m, n in claims:
            docs.append(
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": {"name": f"{m.name}-{n}", "labels": _labels(app, m)},
                    "spec": _CLAIM,
                }
            )
    return docs


def cluster_service(app: CompiledApplication, name: str, members: list[Service]) -> dict[str, Any]:
    """The headless Service that governs a cluster's StatefulSets: one DNS record per member Pod."""
    part_of = dns_name(app.name)
    ports: dict[str, dict[str, Any]] = {}
    for m in members:
        for p in m.spec.ports:
            ports.setdefault(
                _port_name(p.variable),
                {
                    "name": _port_name(p.variable),
                    "port": p.container,
                    "targetPort": p.container,
                    "protocol": p.protocol.upper(),
                },
            )
    spec: dict[str, Any] = {
        "clusterIP": "None",
        "publishNotReadyAddresses": True,
        "selector": {"roboconf.net/cluster": name, "app.kubernetes.io/part-of": part_of},
    }
    if ports:
        spec["ports"] = list(ports.values())
    labels = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": part_of,
        "app.kubernetes.io/managed-by": "rbcc",
    }
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {"roboconf.net/members": ", ".join(m.instance for m in members)},
        },
        "spec": spec,
    }


def render(app: CompiledApplication, options: CompileOptions) -> dict[str, str]:
    nested: dict[str, list[Service]] = {}
    by_name = {x.name: x for x in app.services}
    for s in app.services:
        if s.parent_service is not None:
            top = s
            while top.parent_service is not None:
                top = by_name[top.parent_service]
            nested.setdefault(top.name, []).append(s)
    files: dict[str, str] = {}
    resources = []
    cluster_of = clusters(app)
    for s in app.services:
        if s.parent_service is not None:
            continue
        rel = f"{s.name}.yaml"
        files[f"{K8S_DIR}/{rel}"] = dump_all(manifests(app, s, nested.get(s.name, []), cluster_of.get(s.name)))
        resources.append(rel)
    for name in sorted(set(cluster_of.values())):
        rel = f"{name}.yaml"
        members = [by_name[m] for m in sorted(cluster_of) if cluster_of[m] == name]
        files[f"{K8S_DIR}/{rel}"] = dump_all([cluster_service(app, name, members)])
        resources.append(rel)
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "labels": [{"pairs": {"app.kubernetes.io/part-of": dns_name(app.name)}}],
        "resources": resources,
    }
    files[f"{K8S_DIR}/kustomization.yaml"] = dump(kustomization)
    return files
