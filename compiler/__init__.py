"""From the dsl model to what other tools consume.

* :mod:`rbcc.compiler.wiring` — which exporter instances each instance's imports resolve to
  (Roboconf's agent rule);
* :mod:`rbcc.compiler.views` — diagrams and the documentation site.

The compiler IR and its targets (Compose, Swarm, Kubernetes, the runtime plan) sit beside them.
"""
