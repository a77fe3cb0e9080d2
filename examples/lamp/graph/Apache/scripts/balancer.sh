# Sourced by start.sh and update.sh (not a recipe). The imports arrive as
# Tomcat_size, Tomcat_<i>_name (the exporter's path), Tomcat_<i>_ip and
# Tomcat_<i>_portAJP. Worker names are the cleaned paths, which is what
# each Tomcat uses as its jvmRoute (sticky sessions).

configure_balancer() {
	if [ "${Tomcat_size:-0}" -eq 0 ]; then
		a2dismod -q -f jk
		echo "No Tomcat server: maintenance page."
		return
	fi
	i=0
	members=
	{
		while [ "$i" -lt "$Tomcat_size" ]; do
			eval "path=\$Tomcat_${i}_name host=\$Tomcat_${i}_ip ajp=\$Tomcat_${i}_portAJP"
			worker=$(printf '%s' "${path#/}" | tr -c 'A-Za-z0-9_' '_')
			echo "worker.$worker.type=ajp13"
			echo "worker.$worker.host=$host"
			echo "worker.$worker.port=$ajp"
			members="$members,$worker"
			i=$((i + 1))
		done
		echo "worker.balancer.type=lb"
		echo "worker.balancer.balance_workers=${members#,}"
		echo "worker.balancer.sticky_session=true"
		echo "worker.list=balancer"
	} > /etc/libapache2-mod-jk/workers.properties
	a2enmod -q jk
	echo "Balancing between $Tomcat_size Tomcat server(s)."
}
