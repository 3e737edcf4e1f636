#!/usr/bin/env python3
"""Smoke test: the chart's rendered configuration starts the real binaries.

Renders the chart (production, chart-made secrets: every secret and every production refusal in
play), then runs each service's debug binary with exactly the environment its Deployment would
get (ConfigMap + Secrets), changing only what a laptop cannot provide: the NATS URL (a throwaway
nats-server from .tools), the database URLs (SQLite files), listen addresses (loopback) and
stream replicas (1 server). Every service must start in production mode, pass the binary's own
production checks and answer /healthz and /readyz as ready; then each migration Job step
(`<binary> migrate`, `pennyctl streams apply`) runs with its Job's environment.

Needs the binaries: `cargo build -p penny-ingress -p penny-verification -p penny-transfer-events
-p penny-notifier -p pennyctl` (the `helm-smoke` recipe does it). Bounded: 60 s at most.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).parent))
import check  # noqa: E402

ROOT = check.ROOT
BIN = Path(os.environ.get("PENNY_BIN_DIR", ROOT / "target/debug"))
SERVICES = {"ingress": "penny-ingress", "verification": "penny-verification", "transfer-events": "penny-transfer-events", "notifier": "penny-notifier"}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    missing = [b for b in [*SERVICES.values(), "pennyctl"] if not (BIN / b).exists()]
    if missing:
        print(f"smoke: build first: cargo build {' '.join('-p ' + b for b in missing)}")
        return 1
    values = check.load_values(["production-chart-secrets.yaml"])
    docs = check.render(values)
    secrets = {s["metadata"]["name"]: s.get("stringData", {}) for s in check.of_kind(docs, "Secret")}
    tmp = Path(tempfile.mkdtemp(prefix="penny-smoke-"))
    nats = subprocess.Popen([str(ROOT / ".tools/bin/nats-server"), "-js", "-a", "127.0.0.1", "-p", "-1", "-sd", str(tmp / "js"), "--ports_file_dir", str(tmp)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs = []
    try:
        deadline = time.time() + 5
        while not list(tmp.glob("*.ports")) and time.time() < deadline:
            time.sleep(0.05)
        nats_url = json.loads(next(tmp.glob("*.ports")).read_text())["nats"][0]

        def localize(env: dict, name: str) -> dict:
            for k in list(env):
                if k.endswith("DATABASE_URL"):
                    env[k] = f"sqlite://{tmp}/{name}.db?mode=rwc"
                if k.endswith("_LISTEN"):
                    env[k] = f"127.0.0.1:{free_port()}"
                if k.endswith("REPLICAS"):
                    env[k] = "1"
            env["PENNY_NATS_URL"] = nats_url
            return env

        def secret_env(container) -> dict:
            out = {}
            for e in container.get("env", []) or []:
                if "value" in e:
                    out[e["name"]] = e["value"]
                else:
                    ref = e["valueFrom"]["secretKeyRef"]
                    out[e["name"]] = secrets[ref["name"]][ref["key"]]
            return out

        # The migration Jobs first, as Helm runs them.
        def jobs():
            problems = []
            for job in check.of_kind(docs, "Job"):
                for c in job["spec"]["template"]["spec"]["containers"]:
                    binary = "pennyctl" if c["name"] == "streams" else SERVICES[c["name"]]
                    env = localize({"PATH": os.environ["PATH"], **secret_env(c)}, c["name"])
                    r = subprocess.run([str(BIN / binary), *c["args"]], env=env, capture_output=True, text=True, timeout=30)
                    if r.returncode != 0:
                        problems.append(f"{c['name']}: {' '.join(c['args'])} exited {r.returncode}: {(r.stdout + r.stderr).strip()[-300:]}")
            return problems

        check.run("[smoke] the hook Jobs' steps run with their rendered environment", jobs)

        for label, binary in SERVICES.items():
            dep = next(d for d in check.of_kind(docs, "Deployment") if check.component_of(d) == label)
            container = dep["spec"]["template"]["spec"]["containers"][0]
            env = localize({"PATH": os.environ["PATH"], **check.cm_env(docs, label), **secret_env(container)}, label)
            env["PENNY_LOG_FORMAT"] = "pretty"
            admin = next(v for k, v in env.items() if k.endswith("ADMIN_LISTEN") or k == "PENNY_INGRESS_LISTEN")
            log = open(tmp / f"{label}.log", "w")
            procs.append((label, subprocess.Popen([str(BIN / binary)], env=env, stdout=log, stderr=subprocess.STDOUT), admin))

        def ready(label, proc, admin):
            deadline = time.time() + 20
            last = ""
            while time.time() < deadline:
                if proc.poll() is not None:
                    return [f"exited {proc.returncode}: {(tmp / f'{label}.log').read_text()[-600:]}"]
                try:
                    health = urllib.request.urlopen(f"http://{admin}/healthz", timeout=1).status
                    body = urllib.request.urlopen(f"http://{admin}/readyz", timeout=1).read().decode()
                    if health == 200 and json.loads(body).get("status") == "ready":
                        return []
                    last = body
                except Exception as error:
                    last = str(error)
                time.sleep(0.3)
            return [f"not ready in 20 s: {last}"]

        for label, proc, admin in procs:
            check.run(f"[smoke] {label} starts in production with the chart's environment and is ready", ready, label, proc, admin)
    finally:
        for _label, proc, _admin in procs:
            if proc.poll() is None:
                proc.terminate()
        for _label, proc, _admin in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        nats.terminate()
        nats.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"helm-smoke: {len(check.passed)} passed, {len(check.failed)} failed")
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
