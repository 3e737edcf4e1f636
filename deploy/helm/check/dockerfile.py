#!/usr/bin/env python3
"""Static checks of the Dockerfile's essentials (no Docker engine on these machines; hadolint,
run by scripts/helm-check.sh, covers the generic rules). Ties the image to the code and the chart:

- one final stage per binary, built once by the builder stage (`cargo build --release --locked`
  of every package it copies out), each package a real workspace package;
- every final stage derives from the distroless runtime stage, runs as a numeric non-root user,
  has no RUN (no shell there), copies its one binary root-owned and read-only, and has that
  binary as an exec-form ENTRYPOINT (so `docker run IMAGE --help` runs `<binary> --help`);
- base images pinned to a version tag (never :latest);
- EXPOSEd ports and ENV listen addresses agree with each other and with the chart's values,
  and every ENV name is one the binary reads;
- .dockerignore keeps target/, .git and .tools out of the build context.

Prints one line per check and `N passed, N failed`; exits 1 when anything failed.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).parent))
import check as chart  # noqa: E402  (the chart checks' source facts and report helpers)

ROOT = chart.ROOT
# target -> (cargo package, binary, values key or None)
TARGETS = {
    "ingress": ("penny-ingress", "penny-ingress", "ingress"),
    "verification": ("penny-verification", "penny-verification", "verification"),
    "transfer-events": ("penny-transfer-events", "penny-transfer-events", "transferEvents"),
    "notifier": ("penny-notifier", "penny-notifier", "notifier"),
    "pennyctl": ("pennyctl", "pennyctl", None),
    "sandbox": ("penny-sandbox", "penny-sandbox", "sandbox"),
}


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    out, buf = [], ""
    for line in text.splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if buf and line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    return out


def stages(ins):
    """name -> {from, instructions}; ARG defaults resolved in FROM."""
    args, result, current = {}, {}, None
    for word, rest in ins:
        if word == "ARG" and current is None:
            k, _, v = rest.partition("=")
            args[k] = v
        elif word == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", rest, re.I)
            image = re.sub(r"\$\{(\w+)\}", lambda g: args.get(g.group(1), g.group(0)), m.group(1))
            current = m.group(2) or f"stage{len(result)}"
            result[current] = {"from": image, "ins": []}
        elif current:
            result[current]["ins"].append((word, rest))
    return result


def chain(st, name):
    """The stage and its ancestors, nearest first."""
    out = []
    while name in st:
        out.append(name)
        name = st[name]["from"]
    return out, name  # (stages, external base image)


def workspace_packages() -> set[str]:
    names = set()
    for manifest in ROOT.glob("*/*/Cargo.toml"):
        m = re.search(r'^\[package\][^\[]*?^name\s*=\s*"([^"]+)"', manifest.read_text(), re.M | re.S)
        if m:
            names.add(m.group(1))
    return names


def main() -> int:
    text = (ROOT / "Dockerfile").read_text()
    st = stages(instructions(text))
    values = yaml.safe_load((ROOT / "deploy/helm/penny/values.yaml").read_text())

    def builder_problems():
        problems = []
        b = st.get("builder")
        if not b:
            return ["no builder stage"]
        runs = " ".join(r for w, r in b["ins"] if w == "RUN")
        if "cargo build" not in runs or "--release" not in runs or "--locked" not in runs:
            problems.append("the builder does not run `cargo build --release --locked`")
        built = set(re.findall(r"-p\s+(\S+)", runs))
        packages = workspace_packages()
        for pkg, binary, _ in TARGETS.values():
            if pkg not in built:
                problems.append(f"the builder does not build {pkg}")
            if pkg not in packages:
                problems.append(f"{pkg} is not a workspace package")
            if f"target/release/{binary}" not in runs:
                problems.append(f"the builder does not copy out target/release/{binary}")
        return problems

    def pinned_problems():
        problems = []
        for name, s in st.items():
            if s["from"] in st:
                continue
            image = s["from"]
            tag = image.split("@")[0].rsplit("/", 1)[-1]
            if ":" not in tag or tag.endswith(":latest"):
                problems.append(f"stage {name}: base image {image} is not pinned to a version tag")
        return problems

    def target_problems(target, pkg, binary, key):
        problems = []
        if target not in st:
            return [f"no stage {target} (docker build --target {target})"]
        names, base = chain(st, target)
        if "runtime" not in names or "distroless" not in base:
            problems.append(f"{target} does not derive from the distroless runtime stage (base {base})")
        ins = [i for n in reversed(names) for i in st[n]["ins"]]
        users = [r for w, r in ins if w == "USER"]
        if not users or not re.fullmatch(r"[1-9][0-9]*(:[1-9][0-9]*)?", users[-1]):
            problems.append(f"{target}: USER {users[-1] if users else None} is not a numeric non-root uid")
        if any(w == "RUN" for w, _ in st[target]["ins"]):
            problems.append(f"{target}: RUN in a final stage (distroless has no shell)")
        copies = [r for w, r in st[target]["ins"] if w == "COPY"]
        want = f"/usr/local/bin/{binary}"
        if not any("--from=builder" in c and "--chown=0:0" in c and re.search(r"--chmod=0?555", c) and c.endswith(want) for c in copies):
            problems.append(f"{target}: {binary} is not copied from the builder root-owned and read-only (0555) to {want}")
        entry = [r for w, r in ins if w == "ENTRYPOINT"]
        try:
            ok = entry and json.loads(entry[-1]) == [want]
        except json.JSONDecodeError:
            ok = False
        if not ok:
            problems.append(f"{target}: ENTRYPOINT is not the exec form [{want!r}] (so `--help` reaches the binary)")
        exposed = {int(p.split("/")[0]) for w, r in st[target]["ins"] if w == "EXPOSE" for p in r.split()}
        env = dict(re.findall(r"(PENNY_[A-Z0-9_]+)=(\S+)", " ".join(r for w, r in st[target]["ins"] if w == "ENV")))
        listen_ports = {int(v.rsplit(":", 1)[1]) for k, v in env.items() if k.endswith("_LISTEN")}
        if exposed != listen_ports:
            problems.append(f"{target}: EXPOSE {sorted(exposed)} differs from the ENV listen ports {sorted(listen_ports)}")
        if key:
            chart_ports = set(values[key]["ports"].values())
            if exposed != chart_ports:
                problems.append(f"{target}: EXPOSE {sorted(exposed)} differs from the chart's {key}.ports {sorted(chart_ports)}")
            repo = values[key]["image"]["repository"]
            if repo != f"penny-{target}":
                problems.append(f"{target}: the chart's image repository {repo} is not penny-{target}")
            label = chart.COMPONENTS[key][0]
            known = chart.env_names_read_by(key)
            problems += [f"{target}: ENV {k} is read by no {label} source" for k in env if k not in known]
        elif values["migrations"]["pennyctl"]["image"]["repository"] != target:
            problems.append(f"the chart's pennyctl image repository is not {target}")
        return problems

    def dockerignore_problems():
        lines = {l.strip().rstrip("/") for l in (ROOT / ".dockerignore").read_text().splitlines() if l.strip() and not l.startswith("#")}
        return [f".dockerignore lacks {p}" for p in ("target", ".git", ".tools") if p not in lines]

    chart.run("[Dockerfile] builder builds every binary once, --locked", builder_problems)
    chart.run("[Dockerfile] base images pinned", pinned_problems)
    for target, (pkg, binary, key) in TARGETS.items():
        chart.run(f"[Dockerfile] target {target}: distroless, non-root, exec ENTRYPOINT, ports = chart", target_problems, target, pkg, binary, key)
    chart.run("[Dockerfile] .dockerignore keeps build output and tools out", dockerignore_problems)

    # The checks bite: a Dockerfile running as root with a shell-form ENTRYPOINT is reported.
    bad = text.replace("USER 65532:65532", "USER root").replace('ENTRYPOINT ["/usr/local/bin/penny-notifier"]', "ENTRYPOINT /usr/local/bin/penny-notifier")
    st_bad = stages(instructions(bad))

    def mutation():
        nonlocal st
        saved, st = st, st_bad
        try:
            problems = target_problems("notifier", *TARGETS["notifier"])
        finally:
            st = saved
        want = ("numeric non-root", "exec form")
        missing = [w for w in want if not any(w in p for p in problems)]
        return [f"not reported: {m}" for m in missing]

    chart.run("[catches] a root USER and a shell-form ENTRYPOINT", mutation)
    print(f"dockerfile-check: {len(chart.passed)} passed, {len(chart.failed)} failed")
    return 1 if chart.failed else 0


if __name__ == "__main__":
    sys.exit(main())
