# expect-rule: docker-build-install
# args: --full-packages cmake --runtime-packages ca-certificates
# The build stage installs its own package list instead of the project's install script.
FROM debian:bookworm-slim AS build
RUN apt-get update && apt-get install -y cmake g++ libgrpc++-dev
COPY . .
RUN cmake --preset release && cmake --build --preset release

FROM debian:bookworm-slim
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN bash /tmp/install-deps.sh --runtime
ENTRYPOINT ["/usr/local/bin/tandem_gateway"]
