"""Import resolution between instances (``rbcc.compiler.wiring``): Roboconf's runtime rule."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from rbcc.compiler.wiring import ImportGroup, import_groups, prefix_of, resolve_wiring
from rbcc.dsl.model.elements import walk_instances
from rbcc.dsl.validate import Validator
from tests.support import FIXTURES

RELATIONS = FIXTURES / "diagrams" / "relations"
BROKEN = FIXTURES / "diagrams" / "broken"


def load(path: Path):
    app = Validator().validate(path).application
    assert app is not None and app.graph is not None
    return app


def wiring_of(path: Path):
    app = load(path)
    return app, resolve_wiring(app.graph, walk_instances(app.instances))


def triples(w) -> set[tuple[str, str, str]]:
    return {(b.importer.path, b.prefix, b.exporter.path) for b in w.bindings}


def write_app(root: Path, graph: str, instances: str) -> Path:
    (root / "descriptor").mkdir(parents=True)
    (root / "graph").mkdir()
    (root / "instances").mkdir()
    (root / "descriptor" / "application.properties").write_text(
        "name = T\nversion = 1.0.0\ndsl-id = roboconf-1.0\ngraph-entry-point = g.graph\ninstance-entry-point = i.instances\n"
    )
    (root / "graph" / "g.graph").write_text(textwrap.dedent(graph))
    (root / "instances" / "i.instances").write_text(textwrap.dedent(instances))
    return root


def test_prefix_of():
    assert prefix_of("MySQL.port") == "MySQL"
    assert prefix_of("a.b.c") == "a"
    assert prefix_of("port") == ""


def test_every_binding_of_the_fixture():
    _, w = wiring_of(RELATIONS)
    assert triples(w) == {
        # inherited imports (server → app-server) reach both count copies of the database
        ("/vm-app/app", "db", "/vm-db1/db"),
        ("/vm-app/app", "db", "/vm-db2/db"),
        # the optional self-import sees the peer, never the instance itself
        ("/vm-db1/db", "db", "/vm-db2/db"),
        ("/vm-db2/db", "db", "/vm-db1/db"),
        # a facet prefix: app exports web.httpPort through server's facet
        ("/vm-app/lb", "web", "/vm-app/app"),
        ("/vm-app/app/shop", "app-server", "/vm-app/app"),
    }
    assert w.unresolved == []
    assert [(x.importer.path, x.group.prefix, x.group.names) for x in w.external] == [
        ("/vm-app/lb", "Auth", ("Auth.token",))
    ]
    assert w.blocked == []


def test_received_variables_are_tailored_and_overridden():
    _, w = wiring_of(RELATIONS)
    by = {(b.importer.path, b.exporter.path): dict(b.variables) for b in w.bindings}
    # P.v imports receive exactly P.v
    assert by[("/vm-app/app", "/vm-db1/db")] == {"db.ip": None, "db.port": "5432"}
    # the instance override (app-server.port: 9191) is what the war receives
    assert by[("/vm-app/app/shop", "/vm-app/app")] == {"app-server.port": "9191"}
    # P.* receives every variable with the prefix
    assert by[("/vm-app/lb", "/vm-app/app")] == {"web.httpPort": "80"}
    assert by[("/vm-db1/db", "/vm-db2/db")] == {"db.ip": None, "db.port": "5432"}


def test_optional_flags_follow_roboconf():
    _, w = wiring_of(RELATIONS)
    flags = {(b.importer.path, b.prefix): b.optional for b in w.bindings}
    assert flags[("/vm-app/app", "db")] is False
    assert flags[("/vm-db1/db", "db")] is True
    assert flags[("/vm-app/lb", "web")] is True


def test_unresolved_mandatory_import_blocks_the_instance():
    _, w = wiring_of(BROKEN)
    assert [(u.importer.path, u.group.prefix, u.blocking) for u in w.unresolved] == [("/vm/api", "cache", True)]
    assert [i.path for i in w.blocked] == ["/vm/api"]
    assert w.bindings == []


def test_imports_of_and_exports_of():
    app, w = wiring_of(RELATIONS)
    insts = {i.path: i for i in walk_instances(app.instances)}
    assert [b.exporter.path for b in w.imports_of(insts["/vm-app/app"])] == ["/vm-db1/db", "/vm-db2/db"]
    assert sorted(b.importer.path for b in w.exports_of(insts["/vm-app/app"])) == ["/vm-app/app/shop", "/vm-app/lb"]


def test_import_groups_merge_a_prefix_and_keep_it_mandatory_if_one_import_is(tmp_path):
    root = write_app(
        tmp_path / "app",
        """
        vm {
        	installer: target;
        	children: a, b;
        }
        a {
        	installer: script;
        	exports: ip, port = 1;
        }
        b {
        	installer: script;
        	imports: a.ip, a.port (optional);
        }
        """,
        """
        instance of vm {
        	name: vm;
        	instance of a {
        		name: a;
        	}
        	instance of b {
        		name: b;
        	}
        }
        """,
    )
    app = load(root)
    groups = import_groups(app.graph, app.graph.components["b"])
    assert groups == [ImportGroup("a", ("a.ip", "a.port"), False, False)]
    assert groups[0].label() == "a.{ip, port}"
    _, w = wiring_of(root)
    assert [(b.importer.path, dict(b.variables)) for b in w.bindings] == [("/vm/b", {"a.ip": None, "a.port": "1"})]


def test_optional_import_without_exporter_does_not_block(tmp_path):
    root = write_app(
        tmp_path / "app",
        """
        vm {
        	installer: target;
        	children: a, b;
        }
        a {
        	installer: script;
        	exports: ip;
        }
        b {
        	installer: script;
        	imports: a.ip (optional);
        }
        """,
        """
        instance of vm {
        	name: vm;
        	instance of b {
        		name: b;
        	}
        }
        """,
    )
    _, w = wiring_of(root)
    assert [(u.importer.path, u.blocking) for u in w.unresolved] == [("/vm/b", False)]
    assert w.blocked == []


def test_instances_of_a_sub_component_export_the_super_prefix(tmp_path):
    """``sub extends base``: its instances publish ``base.*`` too, with their overrides."""
    root = write_app(
        tmp_path / "app",
        """
        vm {
        	installer: target;
        	children: base, sub, c;
        }
        base {
        	installer: script;
        	exports: ip, extra = 1;
        }
        sub {
        	extends: base;
        }
        c {
        	installer: script;
        	imports: base.extra;
        }
        """,
        """
        instance of vm {
        	name: vm;
        	instance of sub {
        		name: s;
        		extra: 2;
        	}
        	instance of c {
        		name: c;
        	}
        }
        """,
    )
    _, w = wiring_of(root)
    # the sub-component's instance exports base.* too (inherited prefix), with the override
    assert [(b.exporter.path, dict(b.variables)) for b in w.bindings] == [("/vm/s", {"base.extra": "2"})]


def test_instances_without_component_are_ignored():
    app = load(RELATIONS)
    insts = list(walk_instances(app.instances))
    insts[0].component = None
    w = resolve_wiring(app.graph, insts)
    assert insts[0] not in w.instances


@pytest.mark.parametrize("order", ["forward", "reverse"])
def test_order_follows_the_given_instances(order):
    app = load(RELATIONS)
    insts = list(walk_instances(app.instances))
    if order == "reverse":
        insts.reverse()
    w = resolve_wiring(app.graph, insts)
    importers = [b.importer for b in w.bindings]
    positions = [insts.index(i) for i in importers]
    assert positions == sorted(positions)
