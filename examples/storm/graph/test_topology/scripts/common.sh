# Sourced by the recipes of test_topology (not a recipe: Roboconf only runs
# deploy*, start*, update*, stop* and undeploy*). The agent runs recipes from
# this directory with the instance's variables in the environment:
# own exports (topology, stormVersion) and the imports (storm_nimbus_0_ip,
# storm_nimbus_0_port, storm_worker_size, storm_worker_<i>_ip).
# Containers are named after the reversed instance path: the default name
# of Roboconf's docker probe (e.g. /vm_worker 1/worker -> worker_vm_worker_1).
NAME=${ROBOCONF_CLEAN_REVERSED_INSTANCE_PATH:?must be run by a Roboconf agent}
IMAGE=storm:${stormVersion:-1.1}
STATE=${TMPDIR:-/tmp}/roboconf-storm/$NAME
mkdir -p "$STATE"

# In an agent container (docker target), join its network namespace; on a
# plain machine or with in-memory agents, use the host network. Either way
# the service listens on the "ip" that Roboconf publishes for this instance.
if [ -f /.dockerenv ]; then NETWORK=container:$(hostname); else NETWORK=host; fi

# The storm command line, in a throw-away container, aimed at Nimbus.
storm_cli() {
	docker run --rm --network "$NETWORK" "$IMAGE" storm "$@" \
		-c "nimbus.seeds=[\"$storm_nimbus_0_ip\"]" \
		-c "nimbus.thrift.port=$storm_nimbus_0_port"
}

# Submit the word count example shipped with the Storm distribution (the
# image's working directory); a shell in the container expands the jar name.
submit() {
	docker run --rm --network "$NETWORK" "$IMAGE" sh -c \
		'exec storm jar examples/storm-starter/storm-starter-topologies-*.jar \
			org.apache.storm.starter.WordCountTopology "$1" -c "$2" -c "$3"' \
		submit "$topology" "nimbus.seeds=[\"$storm_nimbus_0_ip\"]" \
		"nimbus.thrift.port=$storm_nimbus_0_port"
}

# True when Nimbus knows the topology.
submitted() {
	storm_cli list 2>/dev/null | grep -q "^$topology "
}
