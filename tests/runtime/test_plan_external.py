"""The runtime plan's inter-application part (runtime.md §3.5): loaded per instance; older plans still load."""

from __future__ import annotations

import json
from pathlib import Path

from rbcc.runtime.plan import PlanInstance, load_plan, plan_from_document
from tests.runtime.inter_apps import write_consumer, write_provider


def test_an_exporter_carries_its_aliases_and_an_importer_its_external_prefixes(tmp_path: Path) -> None:
    provider = load_plan(write_provider(tmp_path / "hosting"))
    apache = provider.by_path["/web/apache"]
    assert apache.external_exports == {"apache.ip": "Lamp.lb_ip", "apache.port": "Lamp.lb_port"}
    assert apache.exports_prefix == "Lamp"
    assert apache.external_values({"apache.ip": "10.0.0.1", "apache.port": "8080"}) == {
        "Lamp.lb_ip": "10.0.0.1",
        "Lamp.lb_port": "8080",
    }
    assert provider.by_path["/web"].external_exports == {}
    shop = load_plan(write_consumer(tmp_path / "shop")).by_path["/front/shop"]
    assert list(shop.external_imports) == ["Lamp"]
    assert not shop.external_imports["Lamp"].optional
    assert shop.external_imports["Lamp"].accepts("Lamp.lb_ip")
    assert not shop.external_imports["Lamp"].accepts("Lamp.other")
    assert PlanInstance.from_json(shop.to_json()) == shop  # the agents' model and the store keep it


def test_a_plan_without_the_inter_application_keys_still_loads(tmp_path: Path) -> None:
    doc = {
        "format": "rbcc-plan/1",
        "application": {"name": "Old", "version": "1.0"},
        "instances": [
            {
                "path": "/vm",
                "name": "vm",
                "component": "vm",
                "installer": "target",
                "parent": None,
                "root": "/vm",
                "children": [],
                "exports": {},
                "random_ports": [],
                "imports": {},
                "resource_dir": None,
                "steps": {},
                "wave": 0,
            }
        ],
        "waves": [["/vm"]],
    }
    plan = plan_from_document(json.loads(json.dumps(doc)), tmp_path)
    vm = plan.by_path["/vm"]
    assert (vm.external_imports, vm.external_exports, vm.exports_prefix) == ({}, {}, None)
    assert "external_imports" not in vm.to_json() and "external_exports" not in vm.to_json()
