#!/bin/sh
# Install MySQL without prompts, then create the application's database and
# user (exported variables: database, user, password).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q mysql-server
service mysql start
mysql -u root <<EOF
CREATE DATABASE IF NOT EXISTS \`$database\`;
CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`$database\`.* TO '$user'@'%';
EOF
service mysql stop
