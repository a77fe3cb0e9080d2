# Sourced by the recipes of test_topology (not a recipe: Roboconf only runs
# deploy*, start*, update*, stop* and undeploy*). The agent runs recipes from
# this directory with the instance's variables in the environment:
# own exports (topology, stormVersion) and the imports (storm_nimbus_0_ip,
# storm_nimbus_0_port, storm_worker_size, storm_worker_<i>_ip).
# Containers are named after the reversed instance path: the default name
# of Roboconf's docker probe (e.g. /vm_worker 1/worker -> worker_vm_worker_1).
NAME=${ROBOCONF_CLEAN_REVERSED_INSTANCE_PATH:?must be run by a Roboconf agent}
IMAGE=storm:${stormVersion:-1.1}
# The image: the real one, or with STORM_PROFILE=standin in the agent's
# environment (rbcc; docker.option.env.STORM_PROFILE in target.properties)
# the stand-in of ../../standins/, built beforehand as rbcc compile
# --profile standin names it (image@standin in container.properties).
if [ "${STORM_PROFILE:-}" = standin ]; then IMAGE=rbcc-storm-test_topology:standin; fi
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

# The stand-in has no storm command: its "client" sends the command line to
# Nimbus' stand-in, which logs it, and fails when Nimbus cannot be reached.
# "storm list" then shows nothing, so start.sh always submits.
if [ "${STORM_PROFILE:-}" = standin ]; then
	storm_cli() {
		docker run --rm --network "$NETWORK" --entrypoint /bin/sh "$IMAGE" -c \
			'host=$1 port=$2; shift 2; echo "storm $*" | nc -w 3 "$host" "$port" >/dev/null' \
			standin-storm "$storm_nimbus_0_ip" "$storm_nimbus_0_port" "$@"
	}
	submit() {
		storm_cli jar storm-starter-topologies.jar org.apache.storm.starter.WordCountTopology "$topology"
	}
fi

# True when Nimbus knows the topology.
submitted() {
	storm_cli list 2>/dev/null | grep -q "^$topology "
}

# Fetch the image unless the engine has it (a stand-in cannot be pulled).
fetch_image() {
	if docker image inspect "$IMAGE" >/dev/null 2>&1; then return 0; fi
	if [ "${STORM_PROFILE:-}" = standin ]; then
		echo "$IMAGE is missing: build the stand-ins first (standins/README.md)." >&2
		exit 1
	fi
	docker pull "$IMAGE"
}
