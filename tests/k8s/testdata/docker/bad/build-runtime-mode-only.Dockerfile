# expect-rule: docker-build-install
# args: --full-packages cmake --runtime-packages ca-certificates
# The build stage calls the install script in runtime mode only, so it does not get the README's toolchain.
FROM debian:bookworm-slim AS build
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh --runtime && apt-get install -y cmake
RUN cmake --preset release

FROM debian:bookworm-slim
ENTRYPOINT ["/usr/local/bin/tandem_gateway"]
