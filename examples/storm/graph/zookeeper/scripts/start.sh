#!/bin/sh
# Start ZooKeeper. The container is recreated each time, so that it gets
# the current server list; the data lives in a named volume.
set -eu
. ./common.sh

ensemble > "$STATE/ensemble"
n=0
my_id=1
servers=
while read -r host; do
	n=$((n + 1))
	if [ "$host" = "$ip" ]; then my_id=$n; fi
	# ZooKeeper 3.5+ syntax: the client port ends each server line.
	servers="$servers server.$n=$host:$peerPort:$electionPort;$port"
done < "$STATE/ensemble"

# A single node runs standalone (ZooKeeper's standaloneEnabled), several
# form a quorum; either way the list says which client port to open.
set -- -e "ZOO_SERVERS=${servers# }"

docker rm -f "$NAME" >/dev/null 2>&1 || true
docker run -d --name "$NAME" --network "$NETWORK" --restart "$restartPolicy" \
	-v "$NAME-data:/data" -e "ZOO_MY_ID=$my_id" "$@" \
	"$IMAGE" >/dev/null
echo "ZooKeeper started in container $NAME (node $my_id of $n)."
