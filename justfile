# penny's task runner: what developers and CI run (`./just <recipe>` installs the tools first).
# `.ci/run` calls `./just lint`, `./just helm-check`, `./just test` and `./just helm-smoke`.

set shell := ["bash", "-euo", "pipefail", "-c"]
# Recipe arguments arrive as "$@" (quoting preserved).
set positional-arguments

# Project-local tools (nats-server, just) come first.
export PATH := justfile_directory() + "/.tools/bin:" + env_var("PATH")

# List the recipes.
default:
    @just --list

# Install the pinned non-Rust tools into .tools/ (nats-server, just; PostgreSQL when root).
tools:
    ./scripts/bootstrap-tools.sh

# Build everything (debug), tests and benches included.
build:
    cargo build --workspace --all-targets

# Format check, clippy with warnings as errors, and cargo-deny (licenses, banned/duplicate crates,
# sources; offline, after clippy has fetched the crates). RustSec advisories need the advisory
# database from GitHub, which these machines cannot reach: see the README.
lint: tools
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo deny --offline --locked check --hide-inclusion-graph licenses bans sources

# Format the code.
fmt:
    cargo fmt --all

# All tests (real nats-server, PostgreSQL, SQLite, sandbox); args go to nextest: `just test -p penny-bus`.
test *ARGS: tools
    #!/usr/bin/env bash
    set -euo pipefail
    # One throwaway PostgreSQL cluster for the whole run; each test creates its own database in it.
    pgdir="$(mktemp -d "${TMPDIR:-/tmp}/penny-pg-XXXXXX")"
    trap './scripts/pg-cluster.sh stop "$pgdir" || true; rm -rf "$pgdir"' EXIT
    PENNY_TEST_PG_URL="$(./scripts/pg-cluster.sh start "$pgdir")"
    export PENNY_TEST_PG_URL
    echo "test: PostgreSQL cluster at $PENNY_TEST_PG_URL"
    if cargo nextest --version >/dev/null 2>&1; then
        profile=default
        if [[ "${CI:-}" == "true" ]]; then profile=ci; fi
        if [[ $# -eq 0 ]]; then
            # nextest has just built every binary (integration tests need them): the trace test uses
            # them as they are instead of rebuilding with another feature set.
            PENNY_E2E_PREBUILT=1 cargo nextest run --workspace --profile "$profile"
            cargo test --workspace --doc # nextest does not run doctests
            services/sandbox/contract/run.sh
        else
            cargo nextest run --profile "$profile" "$@"
        fi
    elif [[ $# -eq 0 ]]; then
        cargo test --workspace
        services/sandbox/contract/run.sh
    else
        cargo test "$@"
    fi

# The fault suite at full length (`just test` runs each case short): the webhook parser and
# verifier under 20,000 arbitrary and mutated inputs each (proptest), then the whole pipeline
# under each fault with 1,500 members and twenty faults, one case at a time (debug build;
# figures in bench/results/faults/).
test-faults: tools
    PROPTEST_CASES=20000 cargo nextest run -p penny-ingress --lib proptests
    just fuzz 120
    cargo build -p penny-sandbox -p penny-ingress -p penny-verification -p penny-transfer-events -p penny-notifier -p pennyctl
    PENNY_FAULTS_FULL=1 PENNY_E2E_PREBUILT=1 cargo nextest run -p penny-e2e -E 'test(/^faults::/)' --test-threads 1 --config-file tests/suites/faults/nextest.toml

# The libFuzzer target over the webhook parser and verifier (`services/ingress/fuzz`): cargo-fuzz
# on the stable toolchain with `--sanitizer none` (installed into .tools on first use), for
# SECONDS; a finding stops it with the input saved under services/ingress/fuzz/artifacts/.
fuzz SECONDS="120": tools
    [[ -x .tools/bin/cargo-fuzz ]] || cargo install cargo-fuzz --locked --version 0.13.2 --root .tools
    cd services/ingress && cargo fuzz run webhook --sanitizer none -- -max_total_time={{SECONDS}}

# Offline checks of the Dockerfile and the Helm chart (lint, render, Kubernetes/KEDA schemas, assertions).
helm-check: tools
    HELM_CHECK_SKIP_BOOTSTRAP=1 ./scripts/helm-check.sh

# The chart's production environment starts the real binaries and they report ready (debug build;
# PENNY_SMOKE_PREBUILT=1 runs the binaries in target/debug as they are, as CI does after the tests).
helm-smoke: tools
    [[ "${PENNY_SMOKE_PREBUILT:-}" == 1 ]] || cargo build -p penny-ingress -p penny-verification -p penny-transfer-events -p penny-notifier -p pennyctl
    PYTHONDONTWRITEBYTECODE=1 .tools/bin/python deploy/helm/check/smoke.py

# Plaid's official Python client (plaid-python) against the sandbox: schema drift shows here.
contract: tools
    services/sandbox/contract/run.sh

# Benchmarks (release builds): every benchmark in the workspace.
# Results go to bench/results/*.json; the README quotes them.
bench: tools
    cargo bench -p penny-sandbox --bench auth_get
    cargo bench -p penny-ingress --bench ingress
    cargo bench -p penny-verification --bench consumer
    cargo bench -p penny-bus --bench limiter
    cargo bench -p penny-notifier --bench alerts
    cargo bench -p penny-transfer-events --bench sync_storm
    just bench-burst

# The whole pipeline under a burst (release processes on PostgreSQL): limits on, limits off,
# 1/2/4 verification replicas. Sizes: PENNY_BURST_N, PENNY_BURST_OFF_N, PENNY_BURST_SCALING_N.
bench-burst: tools
    cargo build --release -p penny-sandbox -p penny-ingress -p penny-verification -p penny-transfer-events -p penny-notifier -p pennyctl
    PENNY_E2E_PREBUILT=1 cargo bench -p penny-e2e --bench burst

# The binaries `up` and `demo` start as processes (debug build).
[private]
build-stack:
    cargo build -p penny-sandbox -p penny-ingress -p penny-verification -p penny-transfer-events -p penny-notifier -p pennyctl -p penny-e2e --bins

# nats-server, the sandbox, ingress, verification, transfer-events, the notifier, SMTP/SMS/push
# receivers; prints every address and each alert as it arrives; Ctrl-C stops everything.

# The whole stack on local defaults (data under ./data, kept between runs).
up: tools build-stack
    PENNY_E2E_PREBUILT=1 target/debug/penny-up

# Six users, every flow, through the public gRPC APIs; then the stack keeps running until Ctrl-C
# (PENNY_DEMO_EXIT=1: stop at the end).

# `up`, then a scripted morning with a live table.
demo: tools build-stack
    PENNY_E2E_PREBUILT=1 target/debug/penny-demo

# Model-check the transfer-events sync protocol with spin: the protocol must pass, and each
# broken variant (no fence, blind cursor writes, a poke joining the running sync) must fail.
model-check: tools
    services/transfer-events/model/check.sh

# A local SMTP catcher that prints every email the notifier sends (its default SMTP port).
mailcatcher: tools
    .tools/bin/python -m aiosmtpd -n -l 127.0.0.1:2525 -c aiosmtpd.handlers.Debugging

# Run the Plaid sandbox on its defaults (127.0.0.1:7070); extra args go to it (try --help).
sandbox *ARGS:
    cargo run -p penny-sandbox -- "$@"

# Run a local nats-server with JetStream on the default port 4222, storing under ./data/nats.
nats: tools
    mkdir -p data/nats
    nats-server -js -a 127.0.0.1 -p 4222 --store_dir data/nats
