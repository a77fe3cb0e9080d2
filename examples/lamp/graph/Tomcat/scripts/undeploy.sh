#!/bin/sh
# Remove Tomcat, its configuration and the web application.
set -eu
export DEBIAN_FRONTEND=noninteractive
service tomcat8 stop || true
apt-get purge -y -q tomcat8 libmysql-java
apt-get autoremove -y -q
rm -rf /var/lib/tomcat8/webapps/lamp /etc/tomcat8
