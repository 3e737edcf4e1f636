# syntax=docker/dockerfile:1.7
# penny's container images. One builder stage compiles every binary once (release, --locked);
# then one small final stage per binary: distroless (glibc, CA certificates, no shell), numeric
# non-root user, the binary as ENTRYPOINT (so `docker run IMAGE --help` works) and nothing else.
# The binaries write nothing to disk (state lives in PostgreSQL and JetStream), so the images run
# with a read-only root filesystem; the Helm chart sets that.
#
#   docker build --target ingress         -t penny-ingress:0.1.0 .
#   docker build --target verification    -t penny-verification:0.1.0 .
#   docker build --target transfer-events -t penny-transfer-events:0.1.0 .
#   docker build --target notifier        -t penny-notifier:0.1.0 .
#   docker build --target pennyctl        -t pennyctl:0.1.0 .
#   docker build --target sandbox         -t penny-sandbox:0.1.0 .   # dev clusters only
#
# Checked statically by `scripts/helm-check.sh` (hadolint and deploy/helm/check/dockerfile.py).
# Base images are pinned by version tag; pin them by digest too where the registry is reachable
# (`--build-arg RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot@sha256:...`).

ARG RUST_IMAGE=rust:1.95.0-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM ${RUST_IMAGE} AS builder
# rust-toolchain.toml asks for rustfmt and clippy too; the image's toolchain is enough to build.
ENV RUSTUP_TOOLCHAIN=1.95.0 \
    CARGO_TERM_COLOR=never \
    CARGO_INCREMENTAL=0
WORKDIR /src
COPY . .
# protoc comes from the protoc-bin-vendored build dependency; aws-lc-sys and SQLite build with gcc.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
        -p penny-ingress -p penny-verification -p penny-transfer-events \
        -p penny-notifier -p pennyctl -p penny-sandbox \
    && mkdir -p /out \
    && cp target/release/penny-ingress target/release/penny-verification \
          target/release/penny-transfer-events target/release/penny-notifier \
          target/release/pennyctl target/release/penny-sandbox /out/

FROM ${RUNTIME_IMAGE} AS runtime
LABEL org.opencontainers.image.vendor="penny" \
      org.opencontainers.image.licenses="Apache-2.0"
# 65532 is distroless' "nonroot"; numeric, so the kubelet can check runAsNonRoot.
USER 65532:65532
WORKDIR /

FROM runtime AS ingress
LABEL org.opencontainers.image.title="penny-ingress"
COPY --from=builder --chown=0:0 --chmod=0555 /out/penny-ingress /usr/local/bin/penny-ingress
# mimalloc without transparent huge pages (its arenas otherwise get 2 MiB pages, half of the
# resident memory at 1,024 open connections: 60 -> 35 MiB, no measurable CPU,
# bench/results/ingress-connections-2026-12-04-thp.txt), and freed pages returned at once
# instead of after 10 ms (bench/results/ingress-connections-2026-12-03.txt).
ENV PENNY_INGRESS_LISTEN=0.0.0.0:8080 \
    MIMALLOC_ALLOW_THP=0 \
    MIMALLOC_PURGE_DELAY=0
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/penny-ingress"]

FROM runtime AS verification
LABEL org.opencontainers.image.title="penny-verification"
COPY --from=builder --chown=0:0 --chmod=0555 /out/penny-verification /usr/local/bin/penny-verification
ENV PENNY_VERIFICATION_GRPC_LISTEN=0.0.0.0:50051 \
    PENNY_VERIFICATION_ADMIN_LISTEN=0.0.0.0:9091
EXPOSE 50051 9091
ENTRYPOINT ["/usr/local/bin/penny-verification"]

FROM runtime AS transfer-events
LABEL org.opencontainers.image.title="penny-transfer-events"
COPY --from=builder --chown=0:0 --chmod=0555 /out/penny-transfer-events /usr/local/bin/penny-transfer-events
ENV PENNY_TRANSFER_EVENTS_GRPC_LISTEN=0.0.0.0:50052 \
    PENNY_TRANSFER_EVENTS_ADMIN_LISTEN=0.0.0.0:9092
EXPOSE 50052 9092
ENTRYPOINT ["/usr/local/bin/penny-transfer-events"]

FROM runtime AS notifier
LABEL org.opencontainers.image.title="penny-notifier"
COPY --from=builder --chown=0:0 --chmod=0555 /out/penny-notifier /usr/local/bin/penny-notifier
ENV PENNY_NOTIFIER_GRPC_LISTEN=0.0.0.0:50053 \
    PENNY_NOTIFIER_ADMIN_LISTEN=0.0.0.0:9093 \
    PENNY_NOTIFIER_PUBLIC_LISTEN=0.0.0.0:8093
EXPOSE 50053 9093 8093
ENTRYPOINT ["/usr/local/bin/penny-notifier"]

FROM runtime AS pennyctl
LABEL org.opencontainers.image.title="pennyctl"
COPY --from=builder --chown=0:0 --chmod=0555 /out/pennyctl /usr/local/bin/pennyctl
ENTRYPOINT ["/usr/local/bin/pennyctl"]

FROM runtime AS sandbox
LABEL org.opencontainers.image.title="penny-sandbox"
COPY --from=builder --chown=0:0 --chmod=0555 /out/penny-sandbox /usr/local/bin/penny-sandbox
ENV PENNY_SANDBOX_LISTEN=0.0.0.0:7070
EXPOSE 7070
ENTRYPOINT ["/usr/local/bin/penny-sandbox"]
