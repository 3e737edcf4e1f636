#!/usr/bin/env bash
# Runs the plaid-python contract check against a freshly started penny-sandbox.
# Usage: services/sandbox/contract/run.sh   (PYTHON defaults to .tools/bin/python; needs plaid-python)
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
python="${PYTHON:-$root/.tools/bin/python}"
"$python" -c "import plaid" 2>/dev/null || "$python" -m pip install -q plaid-python==46.0.0
cargo build -q -p penny-sandbox --manifest-path "$root/Cargo.toml"
port="$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$root/target/debug/penny-sandbox" --listen "127.0.0.1:$port" --log-filter error &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/__sandbox/health" >/dev/null 2>&1 && break
  sleep 0.05
done
"$python" "$(dirname "$0")/plaid_python_contract.py" "http://127.0.0.1:$port"
