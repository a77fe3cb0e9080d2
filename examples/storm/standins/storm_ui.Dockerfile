# Stand-in for storm_ui (see README.md): busybox with standin.sh, built offline.
FROM busybox:local
COPY standin.sh /standin.sh
# /conf: where the recipes (scripts/common.sh) copy storm.yaml, as in the real image.
RUN mkdir -p /conf
ENV STANDIN_PORTS="8080"
ENTRYPOINT ["/standin.sh"]
