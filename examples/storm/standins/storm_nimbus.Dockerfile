# Stand-in for storm_nimbus (see README.md): busybox with standin.sh, built offline.
FROM busybox:local
COPY standin.sh /standin.sh
ENV STANDIN_PORTS="6627"
ENTRYPOINT ["/standin.sh"]
