# expect-rule: docker-entrypoint-shell
# args: --full-packages cmake --runtime-packages ca-certificates
# A shell-form entrypoint runs under /bin/sh -c too.
FROM debian:bookworm-slim AS build
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh
RUN cmake --preset release

FROM debian:bookworm-slim
ENTRYPOINT exec /usr/local/bin/tandem_gateway
