"""Two applications bound to each other (runtime.md §3.5): a provider exporting ``Lamp`` and a consumer."""

from __future__ import annotations

from pathlib import Path

from tests.runtime.apps import write_app

PROVIDER_GRAPH = """
vm {
  installer: target;
  children: apache;
}
apache {
  installer: script;
  exports: ip, port = 8080;
}
"""
PROVIDER_INSTANCES = """
instance of vm {
  name: web;
  instance of apache {
    name: apache;
  }
}
"""
CONSUMER_GRAPH = """
vm {
  installer: target;
  children: shop;
}
shop {
  installer: script;
  imports: external Lamp.lb_ip, external Lamp.lb_port;
}
"""
CONSUMER_INSTANCES = """
instance of vm {
  name: front;
  instance of shop {
    name: shop;
  }
}
"""


def write_provider(root: Path, name: str = "Hosting") -> Path:
    """``Hosting``: ``exports-prefix = Lamp``, ``apache.ip as lb_ip``, ``apache.port as lb_port``."""
    app = write_app(root, PROVIDER_GRAPH, PROVIDER_INSTANCES, name=name, scripted=("apache",))
    with (app / "descriptor" / "application.properties").open("a", encoding="utf-8") as out:
        out.write("exports-prefix = Lamp\nexports = apache.ip as lb_ip, apache.port as lb_port\n")
    return app


def write_consumer(root: Path, name: str = "Shop") -> Path:
    """``Shop``: its ``shop`` imports ``external Lamp.lb_ip`` and ``external Lamp.lb_port`` (mandatory)."""
    return write_app(root, CONSUMER_GRAPH, CONSUMER_INSTANCES, name=name, scripted=("shop",))
