#!/bin/sh
# GET /: forward to web application number (visits modulo webapp_size), the
# round robin of nginx's upstream. Names, not addresses: busybox wget
# crashes on numeric IPs.
n=$(($(cat /tmp/rr 2>/dev/null || echo 0) + 1))
echo "$n" >/tmp/rr
i=$((n % webapp_size))
eval "host=\$webapp_${i}_ip port=\$webapp_${i}_port"
printf 'Content-Type: text/plain\r\n\r\n'
wget -q -O - "http://$host:$port/" || echo "webapp $host:$port did not answer"
