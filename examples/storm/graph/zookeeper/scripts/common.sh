# Sourced by the recipes of zookeeper (not a recipe: Roboconf only runs
# deploy*, start*, update*, stop* and undeploy*). The agent runs recipes from
# this directory with the instance's variables in the environment:
# own exports (ip, port, peerPort, electionPort, zookeeperVersion,
# restartPolicy) and the peers' (zookeeper_size, zookeeper_<i>_ip...).
# Containers are named after the reversed instance path: the default name
# of Roboconf's docker probe (e.g. /vm_worker 1/worker -> worker_vm_worker_1).
NAME=${ROBOCONF_CLEAN_REVERSED_INSTANCE_PATH:?must be run by a Roboconf agent}
IMAGE=zookeeper:${zookeeperVersion:-3.9}
# The image: the real one, or with STORM_PROFILE=standin in the agent's
# environment (rbcc; docker.option.env.STORM_PROFILE in target.properties)
# the stand-in of ../../standins/, built beforehand as rbcc compile
# --profile standin names it (image@standin in container.properties).
if [ "${STORM_PROFILE:-}" = standin ]; then IMAGE=rbcc-storm-zookeeper:standin; fi
STATE=${TMPDIR:-/tmp}/roboconf-storm/$NAME
mkdir -p "$STATE"

# In an agent container (docker target), join its network namespace; on a
# plain machine or with in-memory agents, use the host network. Either way
# the service listens on the "ip" that Roboconf publishes for this instance.
if [ -f /.dockerenv ]; then NETWORK=container:$(hostname); else NETWORK=host; fi

# The ensemble: this node and its peers, sorted and deduplicated so that
# every node computes the same numbering (the self-import may list us too).
ensemble() {
	i=0
	{
		echo "$ip"
		while [ "$i" -lt "${zookeeper_size:-0}" ]; do
			eval "echo \"\${zookeeper_${i}_ip:-}\""
			i=$((i + 1))
		done
	} | grep -v '^$' | sort -u
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
