#!/bin/sh
# One connection to the stand-in cache: read one Redis command (RESP array
# or inline), log it, answer it (INCR keeps counters in /tmp), hang up.
n=0
words=
while read -r line; do
	line=$(printf '%s' "$line" | tr -d '\r')
	case $line in
	'*'*) n=${line#?} ;;
	'$'*) ;;
	*)
		words="$words $line"
		n=$((n - 1))
		[ "$n" -gt 0 ] || break
		;;
	esac
done
echo "cache received:$words" >&2
set -- $words
case ${1:-} in
INCR | incr)
	f=/tmp/counter.$(printf '%s' "${2:-}" | tr -c 'A-Za-z0-9' _)
	v=$(($(cat "$f" 2>/dev/null || echo 0) + 1))
	echo "$v" >"$f"
	printf ':%s\r\n' "$v"
	;;
PING | ping) printf '+PONG\r\n' ;;
*) printf '+OK\r\n' ;;
esac
