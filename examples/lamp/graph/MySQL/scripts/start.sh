#!/bin/sh
# Listen on the machine's address (the Tomcat servers are elsewhere).
set -eu
cat > /etc/mysql/conf.d/roboconf.cnf <<EOF
[mysqld]
bind-address = 0.0.0.0
port = $port
EOF
service mysql start
