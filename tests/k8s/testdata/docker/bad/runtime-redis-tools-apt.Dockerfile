# expect-rule: docker-runtime-redis-tools
# args: --full-packages cmake --runtime-packages ca-certificates
# The final stage installs redis-tools itself.
FROM debian:bookworm-slim AS build
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh
RUN cmake --preset release

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      ca-certificates \
      redis-tools
ENTRYPOINT ["/usr/local/bin/tandem_gateway"]
