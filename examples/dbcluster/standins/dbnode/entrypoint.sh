#!/bin/sh
# Stand-in for a Cassandra node: logs the cluster settings and the peers it
# imported, serves the gossip and CQL ports with nc (reply.sh logs and
# answers each connection), marks itself started, then "gossips" once with
# every other seed, by name, retrying until that peer listens.
set -eu
trap 'exit 0' TERM INT
echo "stand-in for $ROBOCONF_INSTANCE_PATH ($ROBOCONF_COMPONENT_NAME), cluster $CASSANDRA_CLUSTER_NAME"
echo "seeds: $CASSANDRA_SEEDS"
env | grep -E '^(ip|gossipPort|cqlPort|dbnode_[0-9a-z_]*)=' | sort

nc -ll -p "$gossipPort" -e /standin/reply.sh gossip &
nc -ll -p "$cqlPort" -e /standin/reply.sh cql &

for p in "$gossipPort" "$cqlPort"; do
	hex=$(printf '%04X' "$p")
	until grep -qs ":$hex [0-9A-F]*:0000 0A " /proc/net/tcp /proc/net/tcp6; do sleep 0.2; done
done
mkdir -p /run/rbcc && touch /run/rbcc/started
echo "listening on $gossipPort and $cqlPort"

for seed in $(echo "$CASSANDRA_SEEDS" | tr , ' '); do
	[ "$seed" != "$ip" ] || continue
	(
		until answer=$(echo "gossip from $ip" | nc "$seed" "$gossipPort" 2>/dev/null); do sleep 1; done
		echo "gossiped with $seed: $answer"
	) &
done
while :; do
	sleep 3600 &
	wait $!
done
