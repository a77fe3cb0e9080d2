#!/bin/sh
# Remove the server and its data: undeploying must leave a clean machine.
set -eu
export DEBIAN_FRONTEND=noninteractive
service mysql stop || true
apt-get purge -y -q mysql-server
apt-get autoremove -y -q
rm -rf /var/lib/mysql /etc/mysql/conf.d/roboconf.cnf
