# syntax=docker/dockerfile:1
# hotspot: one static-ish binary on a slim Debian, running as an unprivileged user.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Dependencies first, so source edits do not rebuild them.
COPY Cargo.toml Cargo.lock rust-toolchain.toml* ./
COPY jobs/Cargo.toml jobs/Cargo.toml
RUN mkdir -p src jobs/src \
    && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs && echo '' > jobs/src/lib.rs \
    && mkdir -p tests && echo '' > tests/main.rs \
    && cargo build --release --locked --bin hotspot \
    && rm -rf src jobs/src tests
COPY src src
COPY jobs/src jobs/src
COPY migrations migrations
COPY tests tests
# Touch so cargo sees the real sources as newer than the placeholder build.
RUN touch src/main.rs src/lib.rs jobs/src/lib.rs \
    && cargo build --release --locked --bin hotspot \
    && strip target/release/hotspot

FROM debian:bookworm-slim AS runtime
# libssl3: the Socket.IO client (seed gateway events) links the system OpenSSL.
# postgresql-client-16 (PostgreSQL's own apt repository: Debian 12 carries 15): the console's
# backups run pg_dump and pg_restore of the database server's major version.
# fonts-dejavu-core: the fonts documents (PDF invoices, receipts, reports) are written in.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata libssl3 curl fonts-dejavu-core \
    && install -d /usr/share/postgresql-common/pgdg \
    && curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc https://www.postgresql.org/media/keys/ACCC4CF8.asc \
    && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" > /etc/apt/sources.list.d/pgdg.list \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-16 \
    && apt-get purge -y curl && apt-get autoremove -y \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 hotspot \
    && useradd --system --uid 10001 --gid hotspot --home-dir /nonexistent --shell /usr/sbin/nologin hotspot
COPY --from=build /src/target/release/hotspot /usr/local/bin/hotspot
USER 10001:10001
ENV HOTSPOT_ENV=production \
    HOTSPOT_LISTEN=0.0.0.0:8080
EXPOSE 8080
# The binary checks its own /api/health (no curl in the image): 503 (Postgres or Redis down) fails.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/hotspot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/hotspot"]
CMD ["serve"]
