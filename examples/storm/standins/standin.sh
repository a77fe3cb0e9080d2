#!/bin/sh
# A stand-in for one Storm or ZooKeeper daemon, built offline FROM busybox:local.
#
# It does what a test needs to know about the real daemon, nothing else:
#  1. logs the Roboconf variables it received (its own exports, ROBOCONF_*, and per
#     import prefix <P>_size, <P>_<i>_name, <P>_<i>_<var>) to stdout and to
#     /var/log/standin/received.log;
#  2. tries once to reach every exporter it imports (<P>_<i>_ip with the exporter's
#     port variable) and logs "reached HOST:PORT" or "unreachable HOST:PORT": since
#     it starts only once its exporters are ready, a test reads the start-up order
#     from these lines;
#  3. listens on the daemon's ports ($STANDIN_PORTS), logging every line it is sent;
#  4. touches /run/rbcc/started once listening (what the health check tests).
# Usage: standin.sh ROLE   (ROLE only names the daemon in the logs)
set -u
role="${1:-standin}"
log=/var/log/standin/received.log
mkdir -p /var/log/standin /run/rbcc
say() { echo "[$role] $*"; echo "$*" >> "$log"; }

env | grep -E '^(ROBOCONF_[A-Z_]+|[A-Za-z0-9_]+_size|[A-Za-z0-9_]+_[0-9]+_[A-Za-z0-9_]+|ip|port)=' | sort | while IFS= read -r line; do
	say "received $line"
done

# every "<P>_<i>_ip" with a port variable of the same exporter
value() { env | sed -n "s/^$1=//p" | head -n 1; }
env | sed -n 's/^\([A-Za-z0-9_]*_[0-9][0-9]*\)_ip=.*/\1/p' | sort | while read -r exporter; do
	host=$(value "${exporter}_ip")
	for var in port clientPort firstSlotPort; do
		port=$(value "${exporter}_${var}")
		[ -n "$port" ] || continue
		if echo "hello from $role" | nc -w 3 "$host" "$port" >/dev/null 2>&1; then
			say "reached $host:$port"
		else
			say "unreachable $host:$port"
		fi
		break
	done
done

handler=/tmp/standin-handler.sh
cat > "$handler" <<HANDLER
#!/bin/sh
read -r line
echo "got \$line" >> $log
echo "$role"
HANDLER
chmod +x "$handler"
for port in ${STANDIN_PORTS:-}; do
	nc -ll -p "$port" -e "$handler" &
	say "listening on $port"
done
sleep 0.2
touch /run/rbcc/started
say "started"
# Stay up (and stop at once on SIGTERM: PID 1 ignores signals it does not handle).
trap 'exit 0' TERM INT
while :; do sleep 1; done
