# Sourced by the recipes of storm_nimbus (not a recipe: Roboconf only runs
# deploy*, start*, update*, stop* and undeploy*). The agent runs recipes from
# this directory with the instance's variables in the environment:
# own exports (ip, port, stormVersion, restartPolicy) and the imports
# (zookeeper_size, zookeeper_<i>_ip, zookeeper_<i>_port).
# Containers are named after the reversed instance path: the default name
# of Roboconf's docker probe (e.g. /vm_worker 1/worker -> worker_vm_worker_1).
NAME=${ROBOCONF_CLEAN_REVERSED_INSTANCE_PATH:?must be run by a Roboconf agent}
IMAGE=storm:${stormVersion:-1.1}
# The image: the real one, or with STORM_PROFILE=standin in the agent's
# environment (rbcc; docker.option.env.STORM_PROFILE in target.properties)
# the stand-in of ../../standins/, built beforehand as rbcc compile
# --profile standin names it (image@standin in container.properties).
if [ "${STORM_PROFILE:-}" = standin ]; then IMAGE=rbcc-storm-storm_nimbus:standin; fi
STATE=${TMPDIR:-/tmp}/roboconf-storm/$NAME
mkdir -p "$STATE"

# In an agent container (docker target), join its network namespace; on a
# plain machine or with in-memory agents, use the host network. Either way
# the service listens on the "ip" that Roboconf publishes for this instance.
if [ -f /.dockerenv ]; then NETWORK=container:$(hostname); else NETWORK=host; fi
DAEMON=nimbus

# The ZooKeeper servers, as a YAML list: ["10.0.0.5", "10.0.0.6"].
zookeeper_servers() {
	i=0
	list=
	while [ "$i" -lt "${zookeeper_size:-0}" ]; do
		eval "host=\${zookeeper_${i}_ip:-}"
		if [ -n "$host" ]; then list="$list, \"$host\""; fi
		i=$((i + 1))
	done
	echo "[${list#, }]"
}

# Nimbus' configuration: where ZooKeeper is, and itself as the only seed.
storm_yaml() {
	cat <<EOF
storm.zookeeper.servers: $(zookeeper_servers)
storm.zookeeper.port: ${zookeeper_0_port:-2181}
nimbus.seeds: ["$ip"]
nimbus.thrift.port: $port
storm.local.hostname: "$ip"
storm.local.dir: "/data"
EOF
}

# (Re)create the daemon's container with a fresh storm.yaml. The file is
# copied in before the container starts (docker cp also works when the
# engine is remote, a bind mount would not), so the image's entrypoint
# keeps it instead of generating a default one.
# A stand-in also gets the Roboconf variables in its environment: it logs
# them and tries once to reach every exporter it imports.
run_daemon() {
	storm_yaml > "$STATE/storm.yaml"
	set --
	if [ "${STORM_PROFILE:-}" = standin ]; then
		env | grep -E '^(ROBOCONF_[A-Z_]+|[A-Za-z0-9_]+_size|[A-Za-z0-9_]+_[0-9]+_[A-Za-z0-9_]+|ip|port)=' \
			> "$STATE/standin.env" || true
		set -- --env-file "$STATE/standin.env"
	fi
	docker rm -f "$NAME" >/dev/null 2>&1 || true
	docker create --name "$NAME" --network "$NETWORK" --restart "$restartPolicy" \
		-v "$NAME-data:/data" "$@" "$IMAGE" storm "$DAEMON" >/dev/null
	docker cp "$STATE/storm.yaml" "$NAME:/conf/storm.yaml"
	docker start "$NAME" >/dev/null
	echo "storm $DAEMON started in container $NAME."
}

# True when the container runs (update.sh must not revive a stopped instance).
running() {
	[ "$(docker inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" = true ]
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
