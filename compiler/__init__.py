"""From the dsl model to what other tools consume.

* :mod:`rbcc.compiler.wiring` — which exporter instances each instance's imports resolve to
  (Roboconf's agent rule);
* :mod:`rbcc.compiler.ir` — the compiler's intermediate representation (instances, values, imports,
  service units, start-up order) built from a validated application;
* :mod:`rbcc.compiler.targets` — printers of the IR: Compose, Swarm, Kubernetes, the runtime plan;
* :mod:`rbcc.compiler.views` — diagrams and the documentation site.

The front door for the command line and the language server is :func:`compile_application`.
"""

from __future__ import annotations

from rbcc.compiler.compile import TARGETS, CompileResult, NotAnApplication, compile_application
from rbcc.compiler.ir.build import CompileOptions
from rbcc.compiler.output import OutputError, write_tree

__all__ = [
    "TARGETS",
    "CompileOptions",
    "CompileResult",
    "NotAnApplication",
    "OutputError",
    "compile_application",
    "write_tree",
]
