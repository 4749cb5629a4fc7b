# args: --full-packages cmake,redis-tools,nodejs --runtime-packages ca-certificates,tzdata,libgrpc++1.51
# A build stage on the project's install script, a runtime base, one image per service, exec-form entrypoints.
FROM debian:bookworm-slim AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh \
 && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake --preset release && cmake --build --preset release

FROM debian:bookworm-slim AS runtime
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN bash /tmp/install-deps.sh --runtime && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh
USER 10001

FROM runtime AS reminders
COPY --from=build /src/build/release/services/reminders/tandem_reminders /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/tandem_reminders"]

FROM runtime AS gateway
COPY --from=build /src/build/release/services/gateway/tandem_gateway /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/tandem_gateway"]
