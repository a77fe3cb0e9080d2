"""Target handlers (runtime.md §2.1, §9 "Targets"): how a machine — a scoped instance's agent — comes to exist."""
