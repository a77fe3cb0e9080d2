"""Deterministic generator of realistic synthetic Roboconf applications.

Why this exists: the validator, the language server and the compilers must stay fast on
applications far larger than the hand-written examples, and the speed of a validator depends on
the *shape* of its input (import fan-out, inheritance chains, facet closures, nested and counted
instances), not only on its size. This module therefore builds applications that look like real
ones (see ``examples/storm``): root machines with ``installer: target`` hosting middleware, which
hosts applications, which host modules (containment chains 3-4 deep); facets that extend facets;
components that extend components and override inherited exports; explicit, wildcard (``X.*``),
optional and a few external imports; graph files of ~22 components joined by ``import``;
instances files with nested and counted instances (~2.4 instances per component); about 290 KB
of model text per 1,000 components.

Every generated application is meant to be *valid* for Roboconf (0 errors, 0 warnings with the
Java oracle): the generator applies the rules of ``dsl.md`` itself (no self-imports, every
mandatory import resolvable, every exported variable has a value, no orphan facet, counted names
that cannot collide, a resource directory per component, target properties with id/handler/name).

Determinism: everything derives from one seeded ``random.Random``; only lists and insertion-ordered
dicts are iterated (never sets of strings, whose order changes with PYTHONHASHSEED), so the same
``(n_components, seed)`` always writes byte-identical files.

Usage::

    python benchmarks/generate.py 1000 /tmp/app-1000 --seed 1
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["GeneratedApp", "generate", "main"]

# Layers of the containment chains: root machines -> middleware -> applications -> modules.
ROOT, MIDDLEWARE, APP, MODULE = 0, 1, 2, 3
LAYER_NAMES = ("machines", "middleware", "applications", "modules")
LAYER_SINGULAR = ("machine", "middleware", "application", "module")
# Share of the components in each layer (the rest goes to modules).
LAYER_SHARES = (0.08, 0.22, 0.40)
COMPONENTS_PER_FILE = 22
FACETS_PER_COMPONENT = 1 / 25
INSTANCES_PER_COMPONENT = 2.4

# fmt: off
DOMAINS = (
    "Billing", "Catalog", "Search", "Orders", "Payments", "Inventory", "Shipping", "Identity",
    "Analytics", "Messaging", "Reporting", "Pricing", "Reviews", "Media", "Notifications",
    "Gateway", "Ledger", "Fraud", "Recommend", "Customers", "Loyalty", "Checkout", "Cart",
    "Accounts", "Audit", "Compliance", "Content", "Documents", "Email", "Events", "Export",
    "Feeds", "Geo", "Helpdesk", "Import", "Invoices", "Logistics", "Marketing", "Metrics",
    "Mobile", "Partners", "Profiles", "Promotions", "Quotes", "Returns", "Routing", "Sessions",
    "Settlement", "Subscriptions", "Tax", "Tickets", "Tracking", "Vendors", "Wallet", "Workflow",
)

# Roles per layer: (role name, [(variable, default value)...]). Values never contain '#'.
ROLES: tuple[tuple[tuple[str, tuple[tuple[str, str], ...]], ...], ...] = (
    (
        ("VM", ()), ("DockerHost", ()), ("Ec2Instance", ()), ("OpenstackVM", ()),
        ("KvmGuest", ()), ("AzureVM", ()),
    ),
    (
        ("Tomcat", (("port", "8080"), ("ajpPort", "8009"), ("maxThreads", "200"))),
        ("Jetty", (("port", "8080"), ("acceptors", "4"))),
        ("Nginx", (("port", "80"), ("workerConnections", "1024"))),
        ("Postgres", (("port", "5432"), ("dbName", "app"), ("maxConnections", "100"))),
        ("MySQL", (("port", "3306"), ("dbName", "app"), ("user", "app"))),
        ("Redis", (("port", "6379"), ("maxMemory", "256mb"))),
        ("RabbitMQ", (("port", "5672"), ("managementPort", "15672"), ("vhost", "/"))),
        ("Kafka", (("port", "9092"), ("partitions", "12"))),
        ("Elasticsearch", (("port", "9200"), ("transportPort", "9300"), ("clusterName", "es"))),
        ("Mongo", (("port", "27017"), ("replicaSet", "rs0"))),
        ("Cassandra", (("port", "9042"), ("interNodePort", "7000"))),
        ("Karaf", (("port", "8181"), ("sshPort", "8101"))),
        ("Memcached", (("port", "11211"), ("memoryMb", "64"))),
        ("Zookeeper", (("port", "2181"), ("tickTime", "2000"))),
        ("HAProxy", (("port", "80"), ("statsPort", "9000"))),
    ),
    (
        ("Api", (("port", "8000"), ("basePath", '"/api/v1"'))),
        ("Worker", (("concurrency", "4"), ("queue", "jobs"))),
        ("Frontend", (("port", "3000"), ("theme", "default"))),
        ("Service", (("port", "8090"), ("logLevel", "INFO"))),
        ("Indexer", (("batchSize", "500"), ("refreshSeconds", "30"))),
        ("Scheduler", (("cron", '"0 */5 * * *"'), ("timezone", "UTC"))),
        ("Portal", (("port", "8443"), ("rateLimit", "100"))),
        ("Consumer", (("groupId", "consumers"), ("pollMs", "500"))),
        ("Exporter", (("metricsPort", "9100"), ("scrapeSeconds", "15"))),
        ("Backend", (("port", "8070"), ("cacheTtl", "300"))),
    ),
    (
        ("Plugin", (("enabled", "true"), ("order", "10"))),
        ("Connector", (("endpoint", '"http://localhost:8080/in"'), ("retries", "3"))),
        ("Cache", (("ttl", "60"), ("entries", "10000"))),
        ("Adapter", (("mode", "async"),)),
        ("Filter", (("pattern", '".*"'), ("action", "drop"))),
        ("Extension", (("priority", "10"),)),
        ("Probe", (("interval", "30"), ("threshold", "0.9"))),
        ("Driver", (("driverVersion", "1.2.3"),)),
        ("Bundle", (("startLevel", "80"),)),
        ("Listener", (("topic", "events"), ("ackMode", "auto"))),
    ),
)

# Facet themes per layer: (name, [(variable, value)]). Variable names never clash with role
# variables (so no component inherits two variables with one suffix, whose value would depend on
# Java's hash order).
FACET_THEMES: tuple[tuple[tuple[str, tuple[tuple[str, str], ...]], ...], ...] = (
    (
        ("monitored_host", (("collectdInterval", "10"),)),
        ("hardened_host", (("auditLevel", "strict"),)),
        ("docker_capable", (("dockerApi", "1.24"),)),
        ("backed_up_host", (("backupCron", '"30 2 * * *"'),)),
    ),
    (
        ("servlet_container", (("sessionTimeout", "30"),)),
        ("relational_database", (("isolationLevel", "read-committed"),)),
        ("message_broker", (("deliveryMode", "persistent"),)),
        ("key_value_store", (("evictionPolicy", "lru"),)),
        ("jvm_runtime", (("jvmHeap", "512m"), ("jvmGc", "G1"))),
        ("clustered", ()),
        ("tls_endpoint", (("tlsProtocols", '"TLSv1.2, TLSv1.3"'),)),
    ),
    (
        ("http_service", (("healthPath", "/health"),)),
        ("batch_job", (("batchWindow", "02-04"),)),
        ("stream_processor", (("checkpointSeconds", "60"),)),
        ("web_frontend", (("cdnHost", "cdn.example.com"),)),
        ("metrics_exposing", (("metricsPath", "/metrics"),)),
        ("stateless", ()),
    ),
    (
        ("pluggable", (("pluginApi", "2"),)),
        ("cacheable", (("cacheRegion", "default"),)),
        ("observable", (("traceSampling", "0.1"),)),
        ("configurable", ()),
    ),
)

# fmt: on
# Roboconf's target handler ids, by machine role.
TARGET_HANDLERS = {
    "VM": "iaas-openstack",
    "DockerHost": "docker",
    "Ec2Instance": "iaas-ec2",
    "OpenstackVM": "iaas-openstack",
    "KvmGuest": "embedded",
    "AzureVM": "iaas-azure",
}
DOC_LINES = (
    "Deployed by the {domain} team.",
    "Scaled horizontally: several instances may run side by side.",
    "Configuration comes from the imported variables at start time.",
    "Recipes are idempotent: deploy and start may be replayed.",
    "Keeps no local state; safe to undeploy at any time.",
    "Owns its data: undeploy removes it.",
    "Restarted by update.sh when a dependency changes.",
    "Reviewed for production use.",
)


@dataclass
class GeneratedApp:
    """What was written, so that benchmarks can report sizes next to timings."""

    path: Path
    n_components: int
    n_facets: int
    n_graph_files: int
    n_instance_files: int
    n_instance_blocks: int
    n_instances: int
    graph_bytes: int
    instances_bytes: int
    edit_file: Path
    seed: int
    depth: int = 0  # deepest instance nesting (4 = machine/middleware/application/module)
    layers: dict[str, int] = field(default_factory=dict)

    @property
    def model_bytes(self) -> int:
        """Graph plus instances text: the part of an application a validator really parses."""
        return self.graph_bytes + self.instances_bytes

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly summary (paths as strings)."""
        data = asdict(self)
        data["path"] = str(self.path)
        data["edit_file"] = str(self.edit_file)
        data["model_bytes"] = self.model_bytes
        return data


@dataclass
class _Facet:
    name: str
    layer: int
    exports: list[tuple[str, str]]
    extends: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)  # directly associated components


@dataclass
class _Component:
    name: str
    layer: int
    domain: int
    role: str
    installer: str | None
    extends: str | None
    doc: list[str]
    facets: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    exports_ip: bool = True
    exports: list[tuple[str, str]] = field(default_factory=list)  # own variables with a value
    randoms: list[str] = field(default_factory=list)  # own random[port] variables
    imports: list[str] = field(default_factory=list)  # rendered import items
    subs: list[str] = field(default_factory=list)  # components extending this one directly


@dataclass
class _Block:
    comp: str
    name: str
    count: int
    mult: int  # number of expanded copies of this block (own count times the parents' counts)
    overrides: list[tuple[str, str]] = field(default_factory=list)
    data: list[tuple[str, str]] = field(default_factory=list)
    children: list[_Block] = field(default_factory=list)


class _Model:
    """The graph being generated, with the relation helpers of dsl.md §7 (chains, facets, children)."""

    def __init__(self) -> None:
        self.components: dict[str, _Component] = {}
        self.facets: dict[str, _Facet] = {}

    def chain(self, name: str) -> list[str]:
        """``[C, super(C), ...]`` (the generator never creates inheritance cycles)."""
        out = [name]
        while (sup := self.components[out[-1]].extends) is not None:
            out.append(sup)
        return out

    def all_facets(self, name: str) -> list[str]:
        """Facets of every component of the chain plus their super-facets (dsl.md §7.2)."""
        out: list[str] = []
        todo = [f for c in self.chain(name) for f in self.components[c].facets]
        while todo:
            f = todo.pop(0)
            if f not in out:
                out.append(f)
                todo.extend(self.facets[f].extends)
        return out

    def subs(self, name: str) -> list[str]:
        """Components extending ``name``, transitively."""
        out: list[str] = []
        todo = list(self.components[name].subs)
        while todo:
            c = todo.pop(0)
            if c not in out:
                out.append(c)
                todo.extend(self.components[c].subs)
        return out

    def facet_subs(self, name: str) -> list[str]:
        """``name`` and the facets extending it, transitively."""
        out = [name]
        for f in out:
            out.extend(g.name for g in self.facets.values() if f in g.extends and g.name not in out)
        return out

    def expand(self, item: str) -> list[str]:
        """The components a ``children`` item designates (dsl.md §7.3)."""
        if item in self.components:
            return [item, *self.subs(item)]
        out: list[str] = []
        for f in self.facet_subs(item):
            for user in self.facets[f].users:
                for c in (user, *self.subs(user)):
                    if c not in out:
                        out.append(c)
        return out

    def children_of(self, name: str) -> list[str]:
        """Components whose instances may be placed under an instance of ``name``."""
        out: list[str] = []
        for c in self.chain(name):
            items = list(self.components[c].children)
            for f in self.all_facets(c):
                items.extend(self.facets[f].children)
            for item in items:
                for child in self.expand(item):
                    if child not in out:
                        out.append(child)
        return out

    def self_prefixes(self, name: str) -> list[str]:
        """Prefixes a component may not import without ``(optional)``: itself, its chain, its facets."""
        return [*self.chain(name), *self.all_facets(name)]


class _Generator:
    """Builds one application. A class only to share the RNG and the model between the steps."""

    def __init__(self, n_components: int, seed: int) -> None:
        if n_components < 4:
            raise ValueError("at least 4 components are needed for a 4-layer application")
        self.n = n_components
        self.seed = seed
        self.rng = random.Random(seed)
        self.model = _Model()
        self.layers: list[list[str]] = [[], [], [], []]
        self.n_files = max(1, round(n_components / COMPONENTS_PER_FILE))
        self.names_used: set[str] = set()
        self.instance_counter = 0

    # ------------------------------------------------------------------ names
    def _unique(self, base: str) -> str:
        name, i = base, 2
        while name in self.names_used:
            name, i = f"{base}{i}", i + 1
        self.names_used.add(name)
        return name

    def _domain_name(self, domain: int) -> str:
        base = DOMAINS[domain % len(DOMAINS)]
        return base if domain < len(DOMAINS) else f"{base}{domain // len(DOMAINS) + 1}"

    # ------------------------------------------------------------------ graph
    def build_graph(self) -> None:
        counts = [max(1, round(self.n * share)) for share in LAYER_SHARES]
        while sum(counts) >= self.n:  # tiny applications: keep at least one module
            counts[counts.index(max(counts))] -= 1
        counts.append(self.n - sum(counts))
        self._make_facets()
        for layer, count in enumerate(counts):
            for i in range(count):
                self._make_component(layer, domain=i * self.n_files // count)
        self._link_facets()
        self._link_children()
        self._make_randoms()
        self._make_imports()

    def _make_facets(self) -> None:
        total = max(4, round(self.n * FACETS_PER_COMPONENT))
        weights = (0.15, 0.35, 0.3, 0.2)
        for layer in range(4):
            themes = FACET_THEMES[layer]
            made: list[str] = []
            for i in range(max(1, round(total * weights[layer]))):
                theme, variables = themes[i % len(themes)]
                round_ = i // len(themes)
                suffix = "" if round_ == 0 else f"_{round_ + 1}"
                var_suffix = "" if round_ == 0 else str(round_ + 1)
                facet = _Facet(
                    name=self._unique(theme + suffix),
                    layer=layer,
                    exports=[(v + var_suffix, val) for v, val in variables],
                )
                # Facets extend earlier facets of their layer: abstract "kinds" refined by others.
                if made and self.rng.random() < 0.4:
                    facet.extends.append(self.rng.choice(made))
                    if len(made) > 2 and self.rng.random() < 0.2:
                        other = self.rng.choice(made)
                        if other not in facet.extends:
                            facet.extends.append(other)
                made.append(facet.name)
                self.model.facets[facet.name] = facet

    def _make_component(self, layer: int, domain: int) -> None:
        rng = self.rng
        role, variables = rng.choice(ROLES[layer])
        same_layer = self.layers[layer]
        # Component inheritance: a refined flavour of an earlier component of the same layer.
        extends = None
        if same_layer and rng.random() < 0.15:
            local = [c for c in same_layer if self.model.components[c].domain == domain]
            extends = rng.choice(local or same_layer)
            role = self.model.components[extends].role
        domain_name = self._domain_name(domain)
        if layer == ROOT:
            base = f"{domain_name}{role}"
        elif layer == MODULE:
            base = f"{domain_name}{role}{rng.choice(('Auth', 'Audit', 'Sync', 'Stats', 'Core', 'Io'))}"
        else:
            base = f"{domain_name}{role}"
        name = self._unique(base if extends is None else f"{base}{rng.choice(('Ha', 'Lite', 'Custom', 'Edge'))}")
        if layer == ROOT:
            installer = "target" if extends is None or rng.random() < 0.3 else None
        elif extends is not None and rng.random() < 0.5:
            installer = None  # inherited
        else:
            installer = "script" if rng.random() < 0.9 else "file"
        doc = [f"{LAYER_SINGULAR[layer].capitalize()}: {role}."]
        if rng.random() < 0.12:
            doc.append(rng.choice(DOC_LINES).format(domain=domain_name))
        comp = _Component(
            name=name, layer=layer, domain=domain, role=role, installer=installer, extends=extends, doc=doc
        )
        if layer == ROOT:
            comp.exports_ip = False
            if rng.random() < 0.3:
                comp.exports = [("region", rng.choice(("eu-west-1", "us-east-1", "ap-south-1")))]
        elif extends is None:
            comp.exports_ip = layer != MODULE or rng.random() < 0.3
            k = rng.randint(1, len(variables))
            comp.exports = [(v, val) for v, val in variables[:k]]
        else:
            # Override an inherited variable by its suffix, as sub-components do in practice.
            comp.exports_ip = False
            inherited = [v for c in self.model.chain(extends) for v, _ in self.model.components[c].exports]
            if inherited:
                var = rng.choice(inherited)
                comp.exports = [(var, self._other_value(var))]
        if extends is not None:
            self.model.components[extends].subs.append(name)
        # Facets of the layer (each at most once per component).
        facets = [f.name for f in self.model.facets.values() if f.layer == layer]
        if facets and rng.random() < 0.5:
            comp.facets.append(rng.choice(facets))
            if rng.random() < 0.25:
                other = rng.choice(facets)
                if other not in comp.facets:
                    comp.facets.append(other)
        self.model.components[name] = comp
        same_layer.append(name)

    def _other_value(self, var: str) -> str:
        if "ort" in var:  # port, ajpPort, metricsPort...
            return str(self.rng.randint(20000, 29999))
        return self.rng.choice(("custom", "tuned", "42", "true", "eu"))

    def _link_facets(self) -> None:
        """Every facet needs a direct user (else RM_ORPHAN_FACET) and some facets hold children."""
        for comp in self.model.components.values():
            for f in comp.facets:
                self.model.facets[f].users.append(comp.name)
        for facet in self.model.facets.values():
            if not facet.users:
                candidates = [c for c in self.layers[facet.layer] if facet.name not in self.model.components[c].facets]
                comp = self.model.components[self.rng.choice(candidates or self.layers[facet.layer])]
                comp.facets.append(facet.name)
                facet.users.append(comp.name)

    def _by_domain(self, layer: int) -> dict[int, list[str]]:
        """Components of a layer grouped by domain, in declaration order."""
        groups: dict[int, list[str]] = {}
        for name in self.layers[layer]:
            groups.setdefault(self.model.components[name].domain, []).append(name)
        return groups

    def _link_children(self) -> None:
        rng, model = self.rng, self.model
        for layer in (MIDDLEWARE, APP, MODULE):
            parents = self.layers[layer - 1]
            parents_by_domain = self._by_domain(layer - 1)
            for name in self.layers[layer]:
                comp = model.components[name]
                if comp.extends is not None and rng.random() < 0.8:
                    continue  # hosted wherever its super-component is
                local = parents_by_domain.get(comp.domain, [])
                parent = model.components[rng.choice(local if local and rng.random() < 0.8 else parents)]
                item = name
                if comp.facets and rng.random() < 0.2:
                    item = rng.choice(comp.facets)  # "any component with this facet"
                if item not in parent.children:
                    parent.children.append(item)
            # A few facets of the parent layer accept children too.
            for facet in model.facets.values():
                if facet.layer == layer - 1 and rng.random() < 0.3:
                    child = rng.choice(self.layers[layer])
                    if child not in facet.children:
                        facet.children.append(child)

    def _make_randoms(self) -> None:
        """``random[port]`` only where no sub-component inherits it (dsl.md §9.4, item 5)."""
        for name in self.layers[MIDDLEWARE] + self.layers[APP]:
            comp = self.model.components[name]
            if not comp.subs and comp.extends is None and self.rng.random() < 0.12:
                comp.randoms.append("jmxPort" if comp.layer == MIDDLEWARE else "debugPort")

    def _make_imports(self) -> None:
        rng, model = self.rng, self.model
        position = {name: i for names in self.layers for i, name in enumerate(names)}
        by_domain = [self._by_domain(layer) for layer in range(4)]
        facet_exporters = [f.name for f in model.facets.values() if f.exports]
        # Mandatory providers: a lower layer, or earlier in the same layer (no start-up deadlock).
        provider_layer = {MIDDLEWARE: None, APP: MIDDLEWARE, MODULE: APP}
        for name in list(model.components):
            comp = model.components[name]
            if comp.layer == ROOT:
                continue
            # Mandatory imports are inherited by sub-components: none of them may import itself.
            forbidden: set[str] = set()  # membership only, never iterated
            for c in (name, *model.subs(name)):
                forbidden.update(model.self_prefixes(c))
            lower = provider_layer[comp.layer]
            lower_all = self.layers[lower] if lower is not None else []
            same_all = self.layers[comp.layer]
            n_earlier = position[name]
            local = [
                c for c in (by_domain[lower].get(comp.domain, []) if lower is not None else []) if c not in forbidden
            ]
            local += [
                c for c in by_domain[comp.layer].get(comp.domain, []) if position[c] < n_earlier and c not in forbidden
            ]

            items: list[str] = []
            n_mandatory = {
                MIDDLEWARE: rng.choice((0, 0, 0, 1, 1)),
                APP: rng.choice((1, 1, 1, 2, 2)),
                MODULE: rng.choice((0, 0, 1)),
            }[comp.layer]
            if comp.extends is not None:
                n_mandatory = min(n_mandatory, 1)
            for _ in range(n_mandatory):
                if local and rng.random() < 0.7:
                    chosen: str | None = rng.choice(local)
                else:
                    chosen = self._pick(lower_all, same_all, n_earlier, forbidden)
                if chosen is None:
                    break
                provider = model.components[chosen]
                if rng.random() < 0.25:
                    items.append(f"{provider.name}.*")
                else:
                    if provider.exports_ip:
                        items.append(f"{provider.name}.ip")
                    items.extend(f"{provider.name}.{v}" for v, _ in provider.exports[:1])
                    if not provider.exports_ip and not provider.exports:
                        items.append(f"{provider.name}.*")
            # Optional imports may point anywhere, even at the component itself (cluster peers).
            if rng.random() < 0.25:
                provider = model.components[rng.choice(self.layers[comp.layer])]
                if provider.exports:
                    items.append(f"{provider.name}.{provider.exports[0][0]} (optional)")
                else:
                    items.append(f"{provider.name}.* (optional)")
            if facet_exporters and rng.random() < 0.15:
                facet = rng.choice(facet_exporters)
                optional = facet in forbidden or rng.random() < 0.5
                items.append(f"{facet}.*" + (" (optional)" if optional else ""))
            if rng.random() < 0.02:
                items.append(f"external Partner{rng.randint(1, 9)}.{rng.choice(('ip', 'apiKey', 'endpoint'))}")
            seen: list[str] = []
            for item in items:
                key = item.split(" ")[0] if not item.startswith("external") else item
                if key not in seen:
                    seen.append(key)
                    comp.imports.append(item)

    def _pick(self, lower: list[str], same: list[str], n_earlier: int, forbidden: set[str]) -> str | None:
        """Uniform over ``lower`` + the first ``n_earlier`` of ``same``, avoiding ``forbidden``.

        Rejection sampling instead of filtering the pool: filtering is O(n) per component, which
        made the generator quadratic (8 s at 3,000 components).
        """
        size = len(lower) + n_earlier
        for _ in range(20):
            if size == 0:
                return None
            r = self.rng.randrange(size)
            candidate = lower[r] if r < len(lower) else same[r - len(lower)]
            if candidate not in forbidden:
                return candidate
        return None

    # ------------------------------------------------------------------ instances
    def build_instances(self) -> list[_Block]:
        """Instance trees of ~2.4 instances per component, with realistic nesting and counts.

        Every component first gets one block under a block of one of its parent components
        (layer by layer, so parents exist first). Then, until the target is reached, either a
        leaf block gets a ``count`` (one declaration, several machines or servers) or a new block
        is added where it multiplies least. Counts on leaves only keep the total under control.
        """
        rng, model = self.rng, self.model
        children_of = {name: model.children_of(name) for name in model.components}
        parents_of: dict[str, list[str]] = {name: [] for name in model.components}
        for parent, kids in children_of.items():
            for kid in kids:
                parents_of[kid].append(parent)
        blocks_of: dict[str, list[_Block]] = {name: [] for name in model.components}
        every_block: list[_Block] = []
        roots: list[_Block] = []
        count_prob = (0.2, 0.06, 0.04, 0.04)

        def place(name: str, prefer_small: bool) -> int:
            comp = model.components[name]
            count = rng.choice((2, 2, 3, 4)) if rng.random() < count_prob[comp.layer] else 1
            if not parents_of[name]:
                block = self._block(name, count, 1)
                roots.append(block)
            else:
                candidates = [b for p in parents_of[name] for b in blocks_of[p]]
                if prefer_small:
                    smallest = min(b.mult for b in candidates)
                    candidates = [b for b in candidates if b.mult == smallest]
                parent = rng.choice(candidates)
                block = self._block(name, count, parent.mult)
                parent.children.append(block)
            blocks_of[name].append(block)
            every_block.append(block)
            return block.mult

        total = 0
        for layer in range(4):
            for name in self.layers[layer]:
                total += place(name, prefer_small=rng.random() < 0.5)
        target = round(self.n * INSTANCES_PER_COMPONENT)
        everyone = [c for layer in (APP, MODULE, MIDDLEWARE, APP, MODULE, ROOT) for c in self.layers[layer]]
        while total < target:
            if rng.random() < 0.6:
                block = rng.choice(every_block)
                parent_mult = block.mult // block.count
                room = 1 + (target - total) // parent_mult
                if block.children or block.count > 1 or room < 2:
                    continue
                block.count = min(rng.choice((2, 2, 3, 4)), room)
                block.mult = block.count * parent_mult
                total += (block.count - 1) * parent_mult
            else:
                total += place(rng.choice(everyone), prefer_small=True)
        self._name_blocks(roots)
        return roots

    def _block(self, comp_name: str, count: int, parent_mult: int) -> _Block:
        comp = self.model.components[comp_name]
        block = _Block(comp=comp_name, name="", count=count, mult=count * parent_mult)
        if comp.exports and self.rng.random() < 0.2:
            var, _ = self.rng.choice(comp.exports)
            block.overrides.append((f"{comp_name}.{var}", self._other_value(var)))
        if comp.layer == ROOT and self.rng.random() < 0.3:
            block.data.append(("data.zone", self.rng.choice(("a", "b", "c"))))
        return block

    def _name_blocks(self, blocks: list[_Block]) -> None:
        """Unique names, given once the counts are final (depth first, so deterministic).

        A counted name ends with a separator, so that copies read ``x-12-1``, ``x-12-2`` or
        ``Tomcat 12 1``; a single instance is ``x-12``: the forms can never collide among siblings.
        """
        for block in blocks:
            self.instance_counter += 1
            k = self.instance_counter
            role = self.model.components[block.comp].role
            if block.count > 1:
                block.name = f"{role.lower()}-{k}-" if self.rng.random() < 0.5 else f"{role} {k} "
            else:
                block.name = f"{role.lower()}-{k}"
            self._name_blocks(block.children)


# ---------------------------------------------------------------------- rendering
def _render_component(comp: _Component) -> list[str]:
    lines = [f"# {line}" for line in comp.doc]
    lines.append(f"{comp.name} {{")
    if comp.installer is not None:
        lines.append(f"\tinstaller: {comp.installer};")
    if comp.extends is not None:
        lines.append(f"\textends: {comp.extends};")
    if comp.facets:
        lines.append(f"\tfacets: {', '.join(comp.facets)};")
    if comp.children:
        lines.append(f"\tchildren: {', '.join(comp.children)};")
    exports = (["ip"] if comp.exports_ip else []) + [f"{v} = {val}" for v, val in comp.exports]
    if exports:
        lines.append(f"\texports: {', '.join(exports)};")
    for var in comp.randoms:
        lines.append(f"\texports: random[port] {var};")
    if comp.imports:
        # Long import lists are split over several lines, as people write them.
        for i in range(0, len(comp.imports), 4):
            lines.append(f"\timports: {', '.join(comp.imports[i : i + 4])};")
    lines.append("}")
    return lines


def _render_facet(facet: _Facet) -> list[str]:
    lines = [f"# Facet of the {LAYER_NAMES[facet.layer]} layer."]
    lines.append(f"facet {facet.name} {{")
    if facet.extends:
        lines.append(f"\textends: {', '.join(facet.extends)};")
    if facet.children:
        lines.append(f"\tchildren: {', '.join(facet.children)};")
    if facet.exports:
        lines.append(f"\texports: {', '.join(f'{v} = {val}' for v, val in facet.exports)};")
    lines.append("}")
    return lines


def _banner(title: str) -> list[str]:
    return ["#" * 64, f"##  {title}".ljust(62) + "##", "#" * 64, ""]


def _render_block(block: _Block, depth: int) -> list[str]:
    pad = "\t" * depth
    lines = [f"{pad}instance of {block.comp} {{", f"{pad}\tname: {block.name};"]
    if block.count > 1:
        lines.append(f"{pad}\tcount: {block.count};")
    lines.extend(f"{pad}\t{key}: {value};" for key, value in block.data)
    lines.extend(f"{pad}\t{key}: {value};" for key, value in block.overrides)
    for child in block.children:
        lines.extend(_render_block(child, depth + 1))
    lines.append(f"{pad}}}")
    return lines


def _write(path: Path, lines: list[str]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    while lines and not lines[-1]:
        lines = lines[:-1]
    text = "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def generate(n_components: int, seed: int, out_dir: Path, *, with_recipes: bool = False) -> GeneratedApp:
    """Write a valid application of ``n_components`` components into ``out_dir`` (emptied first).

    ``with_recipes`` adds a small ``scripts/deploy.sh`` to every script component, for benchmarks
    that want the file-system walk of a fully equipped project; by default resource directories
    are empty (Roboconf only checks that they exist).
    """
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    gen = _Generator(n_components, seed)
    gen.build_graph()
    roots = gen.build_instances()
    model = gen.model
    graph_dir = out_dir / "graph"

    # Graph files: facets per layer, one file per domain, and an entry point importing them all.
    graph_bytes = 0
    facet_files: list[str] = []
    for layer in range(4):
        facets = [f for f in model.facets.values() if f.layer == layer]
        if not facets:
            continue
        rel = f"facets/{LAYER_NAMES[layer]}.graph"
        facet_files.append(rel)
        lines = _banner(f"Facets of the {LAYER_NAMES[layer]}")
        for facet in facets:
            lines.extend([*_render_facet(facet), ""])
        graph_bytes += _write(graph_dir / rel, lines)
    domain_files: list[str] = []
    by_domain: dict[int, list[_Component]] = {}
    for comp in model.components.values():
        by_domain.setdefault(comp.domain, []).append(comp)
    for domain in sorted(by_domain):
        comps = sorted(by_domain[domain], key=lambda c: c.layer)
        rel = f"domains/{gen._domain_name(domain).lower()}.graph"
        domain_files.append(rel)
        lines = _banner(f"Domain {gen._domain_name(domain)} ({len(comps)} components)")
        # Domain files import the facets they use; imports are relative to graph/, processed once.
        used = sorted({f"facets/{LAYER_NAMES[model.facets[f].layer]}.graph" for c in comps for f in c.facets})
        lines.extend([f"import {rel_facets};" for rel_facets in used] + ([""] if used else []))
        for comp in comps:
            lines.extend([*_render_component(comp), ""])
        graph_bytes += _write(graph_dir / rel, lines)
    lines = _banner(f"Synthetic application: {n_components} components (seed {seed})")
    lines.append("# Entry point: every other graph file is reached from here.")
    lines.extend(f"import {rel};" for rel in facet_files + domain_files)
    graph_bytes += _write(graph_dir / "main.graph", lines)

    # Resource directories, with target definitions for the root machines.
    for comp in model.components.values():
        res = graph_dir / comp.name
        res.mkdir(parents=True, exist_ok=True)
        if comp.installer == "target":
            handler = TARGET_HANDLERS[comp.role]
            _write(
                res / "target.properties",
                [
                    f"# Where {comp.name} machines are created.",
                    f"id = {comp.name.lower()}-{handler}",
                    f"handler = {handler}",
                    f"name = {comp.name} on {handler}",
                ],
            )
        elif with_recipes and comp.installer == "script":
            script = res / "scripts" / "deploy.sh"
            _write(
                script, ["#!/bin/sh", f"# Deploy {comp.name}.", "set -eu", 'echo "deploying ${ROBOCONF_INSTANCE_PATH}"']
            )
            script.chmod(0o755)

    # Instances: the entry file holds a few root instances and imports the zone files.
    instances_dir = out_dir / "instances"
    n_zone_files = min(max(1, round(len(roots) / 12)), max(0, len(roots) - 3))  # none empty
    zones: list[list[_Block]] = [[] for _ in range(n_zone_files + 1)]
    for i, block in enumerate(roots):
        zones[0 if i < 3 else 1 + (i - 3) % n_zone_files].append(block)
    instances_bytes = 0
    zone_names = [f"zones/zone-{i:02d}.instances" for i in range(1, n_zone_files + 1)]
    for i, rel in enumerate(zone_names, start=1):
        lines = _banner(f"Zone {i:02d}: {len(zones[i])} machines")
        for block in zones[i]:
            lines.extend([f"# {block.name.strip()} ({block.comp})", *_render_block(block, 0), ""])
        instances_bytes += _write(instances_dir / rel, lines)
    lines = _banner("Initial deployment")
    lines.extend(f"import {rel};" for rel in zone_names)
    lines.append("")
    for block in zones[0]:
        lines.extend([*_render_block(block, 0), ""])
    instances_bytes += _write(instances_dir / "main.instances", lines)

    # Descriptor, plus a scale-out command and the rule that invokes it.
    _write(
        out_dir / "descriptor" / "application.properties",
        [
            "# Generated by benchmarks/generate.py: do not edit.",
            f"name = Synthetic {n_components}",
            f"version = 1.0.{seed}",
            f"description = A synthetic application of {n_components} components (seed {seed}).",
            "dsl-id = roboconf-1.0",
            "graph-entry-point = main.graph",
            "instance-entry-point = main.instances",
        ],
    )
    _write_scale_out(model, gen.layers, out_dir)

    def count_blocks(blocks: list[_Block]) -> tuple[int, int, int]:
        """(declared blocks, expanded instances, nesting depth) of a forest of blocks."""
        n_blocks = n_inst = depth = 0
        for b in blocks:
            sub = count_blocks(b.children)
            n_blocks, n_inst, depth = n_blocks + 1 + sub[0], n_inst + b.mult + sub[1], max(depth, 1 + sub[2])
        return n_blocks, n_inst, depth

    n_blocks, n_instances, depth = count_blocks(roots)
    return GeneratedApp(
        path=out_dir,
        n_components=n_components,
        n_facets=len(model.facets),
        n_graph_files=len(facet_files) + len(domain_files) + 1,
        n_instance_files=n_zone_files + 1,
        n_instance_blocks=n_blocks,
        n_instances=n_instances,
        graph_bytes=graph_bytes,
        instances_bytes=instances_bytes,
        edit_file=graph_dir / domain_files[len(domain_files) // 2],
        seed=seed,
        depth=depth,
        layers={LAYER_NAMES[i]: len(names) for i, names in enumerate(gen.layers)},
    )


def _write_scale_out(model: _Model, layers: list[list[str]], out_dir: Path) -> None:
    """A realistic operations file: a new machine and its middleware (dsl.md §13, §14)."""
    for root in layers[ROOT]:
        comp = model.components[root]
        direct = [c for c in comp.children if c in model.components]
        if comp.installer == "target" and direct:
            child = direct[0]
            _write(
                out_dir / "commands" / "scale-out.commands",
                [
                    f"# One more {root} machine, with a {child}.",
                    f"define machine = {root.lower()}-extra-$(SMART_INDEX)",
                    f"create {root} as $(machine)",
                    f"create {child} as {child.lower()} under /$(machine)",
                    "deploy and start all /$(machine)",
                ],
            )
            _write(
                out_dir / "rules.autonomic" / "scale-out.drl",
                [
                    "# Triggered by a probe of the applications when they are overloaded.",
                    'rule "scale-out"',
                    "\tsleep period is 60s",
                    "when",
                    "\toverloaded",
                    "then",
                    "\tscale-out",
                    "end",
                ],
            )
            return


def main(argv: list[str] | None = None) -> int:
    """Command line: ``generate.py N OUT [--seed S] [--recipes] [--json]``."""
    parser = argparse.ArgumentParser(description="Generate a synthetic Roboconf application.")
    parser.add_argument("n_components", type=int, help="number of components (>= 4)")
    parser.add_argument("out", type=Path, help="output directory (replaced if it exists)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--recipes", action="store_true", help="write a deploy.sh per script component")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    app = generate(args.n_components, args.seed, args.out, with_recipes=args.recipes)
    if args.json:
        print(json.dumps(app.to_dict(), indent=2))
    else:
        print(
            f"{app.path}: {app.n_components} components, {app.n_facets} facets, "
            f"{app.n_graph_files} graph files, {app.n_instance_files} instances files, "
            f"{app.n_instances} instances ({app.n_instance_blocks} blocks), "
            f"{app.model_bytes / 1024:.1f} KB of model text"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
