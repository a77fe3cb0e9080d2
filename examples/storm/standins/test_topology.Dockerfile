# Stand-in for test_topology (see README.md): busybox with standin.sh, built offline.
FROM busybox:local
COPY standin.sh /standin.sh
ENV STANDIN_PORTS=""
ENTRYPOINT ["/standin.sh"]
