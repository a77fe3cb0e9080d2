# Stand-in for zookeeper (see README.md): busybox with standin.sh, built offline.
FROM busybox:local
COPY standin.sh /standin.sh
ENV STANDIN_PORTS="2181 2888 3888"
ENTRYPOINT ["/standin.sh"]
