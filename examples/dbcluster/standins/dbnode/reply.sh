#!/bin/sh
# One connection to a stand-in node ($1: gossip or cql): log the line
# received, answer who we are, hang up.
read -r line || line=
echo "$1 received: $line" >&2
echo "$1 ok from $ip"
