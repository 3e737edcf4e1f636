#!/usr/bin/env bash
# Model-checks the transfer-events sync protocol (sync.pml) with spin, exhaustively.
#
#   services/transfer-events/model/check.sh        # `just model-check`
#
# 1. The protocol as the code runs it: spin must find no error (every assertion, every state,
#    depth-first with state compression, within MEMLIM MiB).
# 2. Three broken variants, each of which spin must find a violation in (breadth-first, so the
#    trace is the shortest); a variant that passes means the model no longer checks what it claims:
#      NOFENCE       fencing removed              -> property 3 (a stale holder writes)
#      BLIND         blind cursor writes          -> property 1 (an event stored twice)
#      JOIN_RUNNING  a poke joins the running sync -> property 4 (a poke served by an older sync)
#
# Needs spin (Debian package `spin`; scripts/bootstrap-tools.sh puts it in .tools/bin) and gcc.
# Extra arguments are passed to spin as -D overrides of the bounds, e.g. `check.sh -DMAXE=3`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
memlim="${MEMLIM:-4096}"
command -v spin >/dev/null || { echo "model-check: spin not found (run ./scripts/bootstrap-tools.sh)" >&2; exit 2; }
command -v gcc >/dev/null || { echo "model-check: gcc not found" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/penny-model-XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp "$here/sync.pml" "$work/"
cd "$work"

# run NAME SEARCH [spin -D flags...]: prints pan's verdict, leaves its output in NAME.out.
run() {
    local name="$1" search="$2"
    shift 2
    spin -a "$@" sync.pml >"$name.spin" 2>&1 || { cat "$name.spin" >&2; return 2; }
    gcc -O2 -w -DSAFETY "$search" -DMEMLIM="$memlim" -o "pan_$name" pan.c
    "./pan_$name" -m100000 >"$name.out" 2>&1 || true
    grep -E "errors:" "$name.out" | sed 's/^ *//'
}

errors_of() { sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$1.out" | tail -n 1; }

failed=0
echo "model-check: the protocol (bounds: defaults in sync.pml $*)"
run protocol -DCOLLAPSE "$@"
grep -E "states, stored|elapsed time|total actual memory" protocol.out | sed 's/^ */    /'
if [[ "$(errors_of protocol)" != 0 ]] || grep -q "out of memory\|max search depth too small" protocol.out; then
    echo "model-check: FAILED: the protocol has a violation (or the search was incomplete):" >&2
    grep -E "violated|out of memory|depth too small" protocol.out >&2 || true
    # Keep the counterexample trail readable for whoever runs this.
    [[ -f sync.pml.trail ]] && spin -t -p -g "$@" sync.pml | tail -n 60 >&2
    failed=1
fi

for variant in NOFENCE:tok BLIND:stored JOIN_RUNNING:need_of_gen; do
    name="${variant%%:*}" expected="${variant#*:}"
    rm -f sync.pml.trail
    echo "model-check: variant $name must fail"
    run "$name" -DBFS "-D$name" "$@"
    violated="$(grep -m1 "assertion violated" "$name.out" || true)"
    if [[ "$(errors_of "$name")" == 0 || "$violated" != *"$expected"* ]]; then
        echo "model-check: FAILED: variant $name was expected to violate an assertion on '$expected'; got: ${violated:-none}" >&2
        failed=1
    else
        echo "    found, as expected: ${violated#pan:1: }"
    fi
done

if [[ $failed == 0 ]]; then
    echo "model-check: ok (no error in the protocol; every broken variant caught)"
fi
exit $failed
