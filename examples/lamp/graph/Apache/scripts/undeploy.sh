#!/bin/sh
# Remove Apache, mod_jk and their configuration.
set -eu
export DEBIAN_FRONTEND=noninteractive
service apache2 stop || true
apt-get purge -y -q apache2 libapache2-mod-jk
apt-get autoremove -y -q
rm -rf /etc/apache2 /etc/libapache2-mod-jk /var/www/html/index.html
