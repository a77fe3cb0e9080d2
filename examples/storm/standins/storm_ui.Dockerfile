# Stand-in for storm_ui (see README.md): busybox with standin.sh, built offline.
FROM busybox:local
COPY standin.sh /standin.sh
ENV STANDIN_PORTS="8080"
ENTRYPOINT ["/standin.sh"]
