# boxoffice server image: a Debian 12 build stage with the packages of scripts/setup-deps and the
# release preset, and a slim runtime stage with the shared libraries the binary loads. Both
# stages are Debian 12, so the libraries are the ones it was linked against.
#
#   docker build -t boxoffice .
#   docker run -p 8080:8080 boxoffice            # embedded profile, data in /var/lib/boxoffice
#
# docker-compose.yml runs three of these in the cluster profile behind HAProxy.

FROM debian:12 AS build
# The same list as scripts/setup-deps (tests/deploy/test_compose.py checks that they agree).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       build-essential cmake ninja-build ccache pkg-config \
       libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
       libsoci-dev libsoci-sqlite3-4.0 libsqlite3-dev sqlite3 \
       libsoci-mysql4.0 libmariadb-dev libhiredis-dev librdkafka-dev \
       libssl-dev libspdlog-dev libcli11-dev libtoml11-dev libjemalloc-dev \
       libgtest-dev libgmock-dev libbenchmark-dev \
       python3-venv \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake --preset release \
    && cmake --build --preset release --target boxoffice -j "$(nproc)" \
    && strip -o /boxoffice build/release/boxoffice

FROM debian:12-slim AS runtime
# Runtime libraries only. SOCI opens its database backends with dlopen by name, so both backend
# packages are needed even though the binary's link line may not show them; curl serves the
# health check.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       libboost-json1.81.0 libboost-url1.81.0 libfmt9 libspdlog1.10 \
       libsoci-core4.0 libsoci-sqlite3-4.0 libsoci-mysql4.0 libsqlite3-0 libmariadb3 \
       libhiredis0.14 librdkafka1 librdkafka++1 libssl3 libjemalloc2 \
       curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/boxoffice --create-home \
       --shell /usr/sbin/nologin boxoffice
COPY --from=build /boxoffice /usr/local/bin/boxoffice
USER boxoffice
WORKDIR /var/lib/boxoffice
ENV BOXOFFICE_HTTP_ADDRESS=0.0.0.0 \
    BOXOFFICE_HTTP_PORT=8080 \
    BOXOFFICE_DATA_DIR=/var/lib/boxoffice/data
EXPOSE 8080
# /healthz: the process serves HTTP (readiness, /readyz, also needs the database).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1
# SIGTERM stops accepting, finishes the outbox relay and closes the database.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/boxoffice"]
CMD ["serve"]
