#!/bin/sh
# GET /: the index of every catalog, fetched by name (busybox wget crashes
# on numeric addresses), one after the other.
printf 'Content-Type: text/plain\r\n\r\n'
echo "storefront (stand-in, log level $logLevel)"
i=0
while [ "$i" -lt "$api_size" ]; do
	eval "host=\$api_${i}_ip port=\$api_${i}_httpPort version=\$api_${i}_apiVersion"
	wget -q -O - "http://$host:$port/api/$version/index.json" || echo "catalog $host:$port did not answer"
	i=$((i + 1))
done
