#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, in a directory of its own.
#
#   scripts/pg-cluster.sh start DIR   # initdb + start on a free loopback port; prints the URL
#   scripts/pg-cluster.sh stop DIR    # fast stop (the caller removes DIR)
#
# Trust auth, user `postgres`, fsync off: for tests only. As root, the server runs as the
# `postgres` user (initdb refuses root) and DIR is chowned to it.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
cmd="$1"
dir="$(mkdir -p "$2" && cd "$2" && pwd)"

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
    command -v initdb >/dev/null \
        || { echo "pg-cluster: no PostgreSQL server (apt-get install -y postgresql)" >&2; exit 1; }
    bindir="$(dirname "$(command -v initdb)")"
fi

as_pg=()
if [[ "$(id -u)" == 0 ]]; then
    as_pg=(runuser -u postgres --)
fi

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
    if [[ ${#as_pg[@]} -gt 0 ]]; then
        chown postgres: "$dir"
    fi
    "${as_pg[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # A free port can be taken between the probe and the bind: try a few.
    for _ in 1 2 3 4 5; do
        port="$(free_port)"
        if "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
            start >/dev/null; then
            echo "$port" >"$dir/port"
            echo "postgres://postgres@127.0.0.1:$port/postgres"
            exit 0
        fi
    done
    echo "pg-cluster: could not start PostgreSQL; log:" >&2
    cat "$dir/server.log" >&2 || true
    exit 1
    ;;
stop)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    ;;
*) usage ;;
esac
