#!/bin/sh
# Configure the connectors, the JVM and the data source (from the imported
# MySQL.* variables), then (re)start Tomcat. jvmRoute matches the worker
# name that Apache's mod_jk derives from this instance's path.
set -eu
cat > /etc/tomcat8/server.xml <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Server port="8005" shutdown="SHUTDOWN">
	<Service name="Catalina">
		<Connector port="$httpPort" protocol="HTTP/1.1" connectionTimeout="20000"/>
		<Connector port="$portAJP" protocol="AJP/1.3"/>
		<Engine name="Catalina" defaultHost="localhost" jvmRoute="$ROBOCONF_CLEAN_INSTANCE_PATH">
			<Host name="localhost" appBase="webapps" unpackWARs="true" autoDeploy="true"/>
		</Engine>
	</Service>
</Server>
EOF
cat > /etc/tomcat8/context.xml <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Context>
	<WatchedResource>WEB-INF/web.xml</WatchedResource>
	<Resource name="jdbc/lamp" auth="Container" type="javax.sql.DataSource"
		driverClassName="com.mysql.jdbc.Driver" maxTotal="20"
		url="jdbc:mysql://$MySQL_0_ip:$MySQL_0_port/$MySQL_0_database"
		username="$MySQL_0_user" password="$MySQL_0_password"/>
</Context>
EOF
sed -i "s|^JAVA_OPTS=.*|JAVA_OPTS=\"-Djava.awt.headless=true $javaOptions\"|" /etc/default/tomcat8
service tomcat8 restart
