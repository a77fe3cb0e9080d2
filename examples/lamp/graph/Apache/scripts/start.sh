#!/bin/sh
# Write the load balancer from the Tomcat servers known so far, then start.
set -eu
. ./balancer.sh
sed -i "s/^Listen .*/Listen $httpPort/" /etc/apache2/ports.conf
sed -i "s/<VirtualHost \*:[0-9]*>/<VirtualHost *:$httpPort>/" /etc/apache2/sites-available/000-default.conf
configure_balancer
service apache2 restart
