#!/bin/sh
# Install Tomcat, the MySQL JDBC driver and the (one page) web application.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q tomcat8 libmysql-java
ln -sf /usr/share/java/mysql-connector-java.jar /usr/share/tomcat8/lib/
mkdir -p /var/lib/tomcat8/webapps/lamp
cp "$ROBOCONF_FILES_DIR/index.jsp" /var/lib/tomcat8/webapps/lamp/
service tomcat8 stop
