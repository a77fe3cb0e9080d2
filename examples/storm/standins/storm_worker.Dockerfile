# Stand-in for storm_worker (see README.md): busybox with standin.sh, built offline.
FROM busybox:local
COPY standin.sh /standin.sh
ENV STANDIN_PORTS="6700"
ENTRYPOINT ["/standin.sh"]
