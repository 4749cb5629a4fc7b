# expect-rule: docker-entrypoint-shell
# args: --full-packages cmake --runtime-packages ca-certificates
# The entrypoint wraps the service in /bin/sh -c.
FROM debian:bookworm-slim AS build
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh
RUN cmake --preset release && cmake --build --preset release

FROM debian:bookworm-slim
RUN bash -c 'true'
ENTRYPOINT ["/bin/sh", "-c", "exec /usr/local/bin/${TANDEM_SERVICE} \"$@\"", "--"]
