# expect-rule: docker-runtime-redis-tools
# args: --full-packages cmake --runtime-packages ca-certificates,tzdata,redis-tools
# The final stage runs the install script's runtime mode, whose list still holds redis-tools.
FROM debian:bookworm-slim AS build
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh
RUN cmake --preset release

FROM debian:bookworm-slim
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN bash /tmp/install-deps.sh --runtime
ENTRYPOINT ["/usr/local/bin/tandem_gateway"]
