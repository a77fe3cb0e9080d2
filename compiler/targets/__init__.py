"""Printers of the compiler IR, one module per target: each returns its files as ``{relative path: text}``.

``compose`` (a Compose file), ``swarm`` (a stack file for ``docker stack deploy``), ``k8s`` (plain
manifests with a ``kustomization.yaml``) and ``plan`` (the JSON document rbcc's executor runs).
They read the IR only (:mod:`rbcc.compiler.ir`), never the dsl model.
"""
