#!/bin/sh
# GET /: the greeting of this instance and the visit count from the cache
# (one INCR per request, in Redis' protocol, over busybox nc).
count=$(printf '*2\r\n$4\r\nINCR\r\n$6\r\nvisits\r\n' | nc "$cache_0_ip" "$cache_0_port" | tr -d ':\r')
printf 'Content-Type: text/plain\r\n\r\n'
echo "${greeting:-Hello} from $ROBOCONF_INSTANCE_NAME (stand-in): visit ${count:-?}"
