#!/bin/sh
# Install Apache and mod_jk; until a Tomcat shows up, serve a maintenance page.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q apache2 libapache2-mod-jk
cp "$ROBOCONF_FILES_DIR/maintenance.html" /var/www/html/index.html
cat > /etc/apache2/conf-available/lamp.conf <<EOF
<IfModule jk_module>
	JkMountCopy All
	JkMount /* balancer
</IfModule>
EOF
a2enconf -q lamp
service apache2 stop
