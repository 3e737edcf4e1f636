#!/usr/bin/env python3
"""Offline checks of penny's Helm chart (run by scripts/helm-check.sh, i.e. `just helm-check`).

No cluster and no helm binary: Helm's Go SDK through the helm-python-sdk package lints and renders
(`helm lint` / `helm template`, values.schema.json enforced), kubernetes-validate checks every
rendered object against the Kubernetes OpenAPI schemas (strict: unknown fields fail), and the
KEDA CRD models (cloudcoil-models-keda) check the ScaledObjects. On top, assertions over the
rendered YAML: pod security, probes, PDBs, Services, secrets never in ConfigMaps, production
never with a development default, the migration hook, autoscaling bounds, and every PENNY_*
variable the chart sets being one the binary reads (from the services' sources).

Then the checks are turned on themselves: every file in values/bad/ must be refused with its
expected message, and broken inputs (a template with a syntax error, a misspelt KEDA key, an
unsafe pod, a secret in a ConfigMap, a mistyped field) must be reported.

Prints one line per check and `N passed, N failed`; exits 1 when anything failed.
"""

from __future__ import annotations

import copy
import math
import re
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

import helm_python
import kubernetes_validate
import yaml
from cloudcoil.models.keda.v1alpha1 import ScaledObject

ROOT = Path(__file__).resolve().parents[3]
CHART = ROOT / "deploy/helm/penny"
VALUES = ROOT / "deploy/helm/values"
OUT = ROOT / "target/helm-check"
RELEASE, NAMESPACE = "penny", "penny"
# The chart's kubeVersion floor and the newest schemas the package ships.
KUBE_VERSIONS = ["1.30.0", "1.37.0"]

# The value sets rendered and checked (files layered in order, like repeated `-f`).
CASES = {
    "minimal (chart defaults + a database + the sandbox)": ["minimal.yaml"],
    "production (existing secrets, external NATS, KEDA)": ["production.yaml"],
    "production (chart-made secrets, bundled NATS)": ["production-chart-secrets.yaml"],
    "autoscaling off": ["minimal.yaml", "autoscaling-off.yaml"],
    "KEDA on (bundled NATS)": ["minimal.yaml", "keda.yaml"],
}

# What the code decides (crates/bus/src/streams.rs, services/*/src/config): used as oracles.
STREAMS = {"PLAID_WEBHOOKS", "PENNY_EVENTS", "DEAD_LETTERS"}
COMPONENTS = {  # values key -> (component label, source dir, grpc service)
    "ingress": ("ingress", "services/ingress", None),
    "verification": ("verification", "services/verification", "penny.v1.VerificationService"),
    "transferEvents": ("transfer-events", "services/transfer-events", "penny.v1.TransferEventsService"),
    "notifier": ("notifier", "services/notifier", "penny.v1.NotifierService"),
    "sandbox": ("sandbox", "services/sandbox", None),
}
SECRET_NAME = re.compile(r"(SECRET|TOKEN|PASSWORD|_KEY$|_KEYS$|DATABASE_URL)")
SECRET_VALUE_KEYS = {"secret", "password", "apiTokens", "encryptionKeys", "linkKey", "authToken", "signingSecret", "clientId"}
NATS_TRIGGER_KEYS = {"natsServerMonitoringEndpoint", "account", "stream", "consumer", "lagThreshold", "activationLagThreshold", "useHttps"}

passed: list[str] = []
failed: list[str] = []


def report(name: str, problems: list[str]) -> None:
    if problems:
        failed.append(name)
        print(f"FAIL {name}")
        for p in problems[:25]:
            print(f"       - {p}")
        if len(problems) > 25:
            print(f"       ... and {len(problems) - 25} more")
    else:
        passed.append(name)
        print(f"ok   {name}")


def run(name: str, fn, *args) -> None:
    try:
        report(name, list(fn(*args) or []))
    except Exception as error:  # a check that crashes is a failed check
        report(name, [f"{type(error).__name__}: {error}", *traceback.format_exc().splitlines()[-3:]])


# ---------------------------------------------------------------------------------------------
# Values, rendering


def deep_merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def load_values(files: list[str], extra: dict | None = None) -> dict:
    values: dict = {}
    for f in files:
        values = deep_merge(values, yaml.safe_load((VALUES / f).read_text()) or {})
    return deep_merge(values, extra or {})


def effective(values: dict) -> dict:
    """The chart's defaults with `values` over them (what the templates see)."""
    return deep_merge(yaml.safe_load((CHART / "values.yaml").read_text()), values)


def render(values: dict, chart: Path = CHART) -> list[dict]:
    """`helm template` (schema first, like install): the rendered objects, each with `_template`."""
    c = helm_python.Chart.load(str(chart))
    try:
        c.validate_schema(values)
        out = c.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    finally:
        c.close()
    docs = []
    for template, text in sorted(out.items()):
        if not template.endswith((".yaml", ".yml")):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                doc["_template"] = template
                docs.append(doc)
    return docs


def notes(values: dict) -> str:
    c = helm_python.Chart.load(str(CHART))
    try:
        return c.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True).get("penny/templates/NOTES.txt", "")
    finally:
        c.close()


def strip(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "_template"}


def of_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def named(docs, kind, name):
    return next((d for d in docs if d.get("kind") == kind and d["metadata"]["name"] == name), None)


def is_penny(doc) -> bool:
    return doc["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") == "penny"


def component_of(doc) -> str | None:
    return doc["metadata"].get("labels", {}).get("app.kubernetes.io/component")


def pod_specs(docs):
    for d in docs:
        if d.get("kind") in ("Deployment", "StatefulSet", "Job", "DaemonSet"):
            yield d, d["spec"]["template"]["spec"]


def cm_env(docs, component) -> dict:
    cm = next((d for d in of_kind(docs, "ConfigMap") if is_penny(d) and component_of(d) == component), None)
    return (cm or {}).get("data", {}) or {}


def secret_values(values: dict) -> set[str]:
    """Every secret given in the values (leaves under secret-like keys; database URLs)."""
    found = set()

    def walk(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, str) and node and key in SECRET_VALUE_KEYS:
            found.add(node)

    walk(values)
    for url in (values.get("database", {}).get("urls", {}) or {}).values():
        if url:
            found.add(url)
    if values.get("database", {}).get("password"):
        found.add(values["database"]["password"])
    return found


# ---------------------------------------------------------------------------------------------
# Facts from the sources (so the chart cannot drift from the binaries unnoticed)


def rs_files(rel: str):
    return sorted((ROOT / rel).rglob("*.rs"))


def env_names_read_by(component: str) -> set[str]:
    """The PENNY_* variables a binary reads: its `env = "..."` attributes, its consumer_args!
    expansions, and the crates/config groups it flattens."""
    src = {"pennyctl": "tools/pennyctl"}.get(component) or COMPONENTS[component][1]
    files = rs_files(f"{src}/src")
    text = "\n".join(f.read_text() for f in files)
    names = set(re.findall(r'env\s*=\s*"(PENNY_[A-Z0-9_]+)"', text))
    macro = (ROOT / "crates/bus/src/consumer/settings.rs").read_text()
    suffixes = re.findall(r'concat!\(\$prefix,\s*"(_CONSUMER_[A-Z_]+)"\)', macro)
    for prefix in re.findall(r'env_prefix\s*=\s*"(PENNY_[A-Z0-9_]+)"', text):
        names |= {prefix + s for s in suffixes}
    # service_config! (crates/config/src/service.rs): the settings every service has, under
    # the prefix its call names.
    service = (ROOT / "crates/config/src/service.rs").read_text()
    shared = re.findall(r'concat!\(\$prefix,\s*"(_[A-Z_]+)"\)', service)
    for call in re.findall(r'service_config!\s*\{.*?env_prefix\s*=\s*"(PENNY_[A-Z0-9_]+)"', text, re.S):
        names |= {call + s for s in shared}
    for group, file in [("NatsArgs", "nats.rs"), ("PlaidArgs", "plaid.rs"), ("TelemetryArgs", "telemetry.rs")]:
        if re.search(rf"\b{group}\b", text):
            names |= set(re.findall(r'env\s*=\s*"(PENNY_[A-Z0-9_]+)"', (ROOT / "crates/config/src" / file).read_text()))
    return names


def dev_defaults() -> set[str]:
    """String constants the binaries fall back to outside production (INSECURE_DEV_*, DEV_*,
    the sandbox credentials and local URLs)."""
    consts = set()
    for f in [*rs_files("services"), *rs_files("crates/config")]:
        for name, value in re.findall(r'pub(?:\(crate\))? const ((?:INSECURE_DEV|DEV|DEFAULT)_[A-Z_]*): &str = "([^"]+)"', f.read_text()):
            if name.startswith("DEFAULT_") and not any(s in name for s in ("CLIENT_ID", "SECRET", "BASE_URL", "WEBHOOK_URL", "DATABASE_URL")):
                continue
            consts.add(value)
    for f in rs_files("crates/config"):
        consts |= set(re.findall(r'const DEFAULT_(?:CLIENT_ID|SECRET|BASE_URL): &str = "([^"]+)"', f.read_text()))
    return consts | {"127.0.0.1", "localhost", "sandbox.plaid.com"}


# ---------------------------------------------------------------------------------------------
# Checkers: each returns a list of problems (empty = fine). The mutation tests call them too.


def k8s_schema_problems(docs) -> list[str]:
    problems = []
    for d in docs:
        if d["apiVersion"].startswith("keda.sh/"):
            continue
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(strip(d), version, strict=True)
            except kubernetes_validate.ValidationError as error:
                problems.append(f"{d['kind']}/{d['metadata']['name']} (k8s {version}): {error.message} at {list(error.path)}")
            except kubernetes_validate.SchemaNotFoundError as error:
                problems.append(f"{d['kind']}/{d['metadata']['name']} (k8s {version}): no schema: {error}")
    return problems


def vanished_keys(given, dumped, path="") -> list[str]:
    """Keys in `given` the model dropped (pydantic ignores unknown keys; a misspelling would pass)."""
    out = []
    if isinstance(given, dict):
        for k, v in given.items():
            if not isinstance(dumped, dict) or k not in dumped:
                out.append(f"{path}/{k}")
            else:
                out += vanished_keys(v, dumped[k], f"{path}/{k}")
    elif isinstance(given, list) and isinstance(dumped, list):
        for i, (a, b) in enumerate(zip(given, dumped)):
            out += vanished_keys(a, b, f"{path}/{i}")
    return out


def keda_problems(docs, consumers: dict[str, str] | None = None) -> list[str]:
    """ScaledObjects against KEDA's CRD models, strictly, and their nats-jetstream triggers."""
    problems = []
    deployments = {d["metadata"]["name"] for d in of_kind(docs, "Deployment")}
    for d in of_kind(docs, "ScaledObject"):
        name = d["metadata"]["name"]
        doc = strip(d)
        try:
            model = ScaledObject.model_validate(doc)
        except Exception as error:
            problems.append(f"ScaledObject/{name}: {error}".splitlines()[0] + " " + " ".join(str(error).splitlines()[1:3]))
            continue
        dumped = model.model_dump(by_alias=True, exclude_unset=True, mode="json")
        problems += [f"ScaledObject/{name}: unknown key {k}" for k in vanished_keys(doc, dumped)]
        spec = d["spec"]
        if spec["scaleTargetRef"]["name"] not in deployments:
            problems.append(f"ScaledObject/{name}: scaleTargetRef {spec['scaleTargetRef']['name']} is no Deployment of the chart")
        if not 1 <= spec.get("minReplicaCount", 0) <= spec.get("maxReplicaCount", 0):
            problems.append(f"ScaledObject/{name}: needs 1 <= minReplicaCount <= maxReplicaCount")
        for t in spec.get("triggers", []):
            if t.get("type") != "nats-jetstream":
                problems.append(f"ScaledObject/{name}: trigger type {t.get('type')}")
                continue
            meta = t.get("metadata", {})
            if set(meta) != NATS_TRIGGER_KEYS:
                problems.append(f"ScaledObject/{name}: trigger keys {sorted(set(meta) ^ NATS_TRIGGER_KEYS)} differ from {sorted(NATS_TRIGGER_KEYS)}")
            problems += [f"ScaledObject/{name}: metadata.{k} is not a string" for k, v in meta.items() if not isinstance(v, str)]
            if meta.get("stream") not in STREAMS:
                problems.append(f"ScaledObject/{name}: stream {meta.get('stream')!r} is not one of penny's streams")
            if consumers is not None and consumers.get(meta.get("consumer")) != meta.get("stream"):
                problems.append(f"ScaledObject/{name}: consumer {meta.get('consumer')!r} does not read stream {meta.get('stream')!r}")
            if not str(meta.get("lagThreshold", "")).isdigit() or int(meta["lagThreshold"]) < 1:
                problems.append(f"ScaledObject/{name}: lagThreshold must be a positive integer string")
    return problems


def pod_security_problems(docs) -> list[str]:
    """Every Pod spec (penny's and the bundled NATS'): non-root, RuntimeDefault seccomp, no
    privilege escalation, read-only root, all capabilities dropped, resources set."""
    problems = []
    for d, spec in pod_specs(docs):
        where = f"{d['kind']}/{d['metadata']['name']}"
        psc = spec.get("securityContext", {}) or {}
        if spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC"):
            problems.append(f"{where}: host namespaces")
        for c in spec.get("initContainers", []) + spec.get("containers", []):
            w = f"{where}/{c['name']}"
            sc = c.get("securityContext", {}) or {}
            if not (sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True):
                problems.append(f"{w}: runAsNonRoot is not true")
            if sc.get("runAsUser", psc.get("runAsUser")) == 0:
                problems.append(f"{w}: runs as uid 0")
            seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
            if seccomp != "RuntimeDefault":
                problems.append(f"{w}: seccompProfile is {seccomp!r}, not RuntimeDefault")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{w}: allowPrivilegeEscalation is not false")
            if sc.get("privileged"):
                problems.append(f"{w}: privileged")
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{w}: readOnlyRootFilesystem is not true")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                problems.append(f"{w}: capabilities.drop lacks ALL")
            if (sc.get("capabilities") or {}).get("add"):
                problems.append(f"{w}: adds capabilities")
            res = c.get("resources") or {}
            if not (res.get("requests", {}).get("cpu") and res.get("requests", {}).get("memory") and res.get("limits", {}).get("memory")):
                problems.append(f"{w}: resources need requests.cpu, requests.memory and limits.memory")
            image = c.get("image", "")
            if image.endswith(":latest") or (":" not in image.rsplit("/", 1)[-1] and "@" not in image):
                problems.append(f"{w}: image {image!r} is not pinned to a tag or digest")
    return problems


def workload_problems(docs, values: dict) -> list[str]:
    """penny's Deployments: probes, PDB, Service, ServiceAccount, topology spread, env from ConfigMap."""
    problems = []
    eff = effective(values)
    sas = {d["metadata"]["name"] for d in of_kind(docs, "ServiceAccount")}
    for key, (label, _src, grpc_service) in COMPONENTS.items():
        enabled = eff[key]["enabled"]
        dep = next((d for d in of_kind(docs, "Deployment") if is_penny(d) and component_of(d) == label), None)
        if not enabled:
            if dep:
                problems.append(f"{key}: disabled but rendered")
            continue
        if not dep:
            problems.append(f"{key}: no Deployment")
            continue
        name = dep["metadata"]["name"]
        spec = dep["spec"]["template"]["spec"]
        c = spec["containers"][0]
        ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        if ports != eff[key]["ports"]:
            problems.append(f"{name}: container ports {ports} differ from values {eff[key]['ports']}")
        probe_port = "admin" if "admin" in ports else "http"
        health = "/__sandbox/health" if key == "sandbox" else "/healthz"
        ready = "/__sandbox/health" if key == "sandbox" else "/readyz"
        for probe in ("startupProbe", "livenessProbe"):
            got = (c.get(probe) or {}).get("httpGet") or {}
            if (got.get("path"), got.get("port")) != (health, probe_port):
                problems.append(f"{name}: {probe} is not GET {health} on port {probe_port}: {c.get(probe)}")
        rp = c.get("readinessProbe") or {}
        if grpc_service and eff["pods"]["grpcReadinessProbe"] == "grpc":
            if rp.get("grpc") != {"port": ports["grpc"], "service": grpc_service}:
                problems.append(f"{name}: readinessProbe is not gRPC health of {grpc_service} on the API port: {rp}")
        elif (rp.get("httpGet") or {}).get("path") != ready or (rp.get("httpGet") or {}).get("port") != probe_port:
            problems.append(f"{name}: readinessProbe is not GET {ready} on {probe_port}: {rp}")
        if spec.get("serviceAccountName") not in sas:
            problems.append(f"{name}: serviceAccountName {spec.get('serviceAccountName')!r} is not rendered")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{name}: mounts a service-account token it never uses")
        if eff["pods"]["topologySpread"]["enabled"]:
            keys = {t["topologyKey"] for t in spec.get("topologySpreadConstraints", [])}
            if keys != {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}:
                problems.append(f"{name}: topology spread over {keys}")
        selector = dep["spec"]["selector"]["matchLabels"]
        pdb = next((p for p in of_kind(docs, "PodDisruptionBudget") if p["spec"]["selector"].get("matchLabels") == selector), None)
        if not pdb:
            problems.append(f"{name}: no PodDisruptionBudget selects it")
        svc = next((s for s in of_kind(docs, "Service") if s["spec"].get("selector") == selector), None)
        if not svc:
            problems.append(f"{name}: no Service selects it")
        elif {p["targetPort"] for p in svc["spec"]["ports"]} != set(ports):
            problems.append(f"{name}: Service ports {svc['spec']['ports']} do not cover {sorted(ports)}")
        refs = [e["configMapRef"]["name"] for e in c.get("envFrom", []) if "configMapRef" in e]
        if refs != [name] or not named(docs, "ConfigMap", name):
            problems.append(f"{name}: envFrom {refs} is not its own ConfigMap")
        if c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds") != eff["pods"]["preStopSleepSeconds"] and eff["pods"]["preStopSleepSeconds"]:
            problems.append(f"{name}: preStop sleep is not pods.preStopSleepSeconds")
    return problems


def secrets_problems(docs, values: dict) -> list[str]:
    """Secrets only in Secrets: no ConfigMap key or value, and no literal env value, holds one."""
    problems = []
    given = secret_values(values)
    for cm in of_kind(docs, "ConfigMap"):
        for k, v in (cm.get("data") or {}).items():
            if k.startswith("PENNY_") and SECRET_NAME.search(k):
                problems.append(f"ConfigMap/{cm['metadata']['name']}: {k} is a secret's name")
            for s in given:
                if s in str(v):
                    problems.append(f"ConfigMap/{cm['metadata']['name']}: {k} holds a secret value")
    for d, spec in pod_specs(docs):
        for c in spec.get("initContainers", []) + spec.get("containers", []):
            for e in c.get("env", []) or []:
                if "value" in e and (SECRET_NAME.search(e["name"]) and e["name"].startswith("PENNY_") or any(s in str(e["value"]) for s in given)):
                    problems.append(f"{d['kind']}/{d['metadata']['name']}/{c['name']}: env {e['name']} is a literal secret")
            for e in c.get("envFrom", []) or []:
                if "configMapRef" in e:
                    cm = named(docs, "ConfigMap", e["configMapRef"]["name"])
                    if cm is None:
                        problems.append(f"{d['metadata']['name']}: envFrom ConfigMap {e['configMapRef']['name']} not rendered")
    # Every secret given is used from a Secret.
    secret_data = set()
    for s in of_kind(docs, "Secret"):
        secret_data |= {str(v) for v in (s.get("stringData") or {}).values()}
    for s in given:
        if not any(s in v for v in secret_data):
            problems.append(f"a secret given in the values is in no Secret ({len(s)} chars)")
    return problems


def production_problems(docs, values: dict) -> list[str]:
    """Production: no sandbox, no development default anywhere, every secret required from a Secret."""
    problems = []
    eff = effective(values)
    if any(component_of(d) == "sandbox" for d in docs if is_penny(d)):
        problems.append("the sandbox component is rendered")
    forbidden = dev_defaults()
    for d in docs:
        if not is_penny(d) or d["kind"] not in ("ConfigMap", "Deployment", "Job", "Secret"):
            continue
        text = yaml.safe_dump(strip(d))
        for value in forbidden:
            if value in text:
                problems.append(f"{d['kind']}/{d['metadata']['name']} contains the development default {value!r}")
        if "INSECURE_DEV" in text:
            problems.append(f"{d['kind']}/{d['metadata']['name']} sets an INSECURE_DEV switch")
    required = {
        "ingress": ["PENNY_PLAID_CLIENT_ID", "PENNY_PLAID_SECRET"],
        "verification": ["PENNY_PLAID_CLIENT_ID", "PENNY_PLAID_SECRET", "PENNY_VERIFICATION_DATABASE_URL", "PENNY_VERIFICATION_API_TOKENS", "PENNY_VERIFICATION_ENCRYPTION_KEYS"],
        "transfer-events": ["PENNY_PLAID_CLIENT_ID", "PENNY_PLAID_SECRET", "PENNY_TRANSFER_EVENTS_DATABASE_URL", "PENNY_TRANSFER_EVENTS_API_TOKENS"],
        "notifier": ["PENNY_NOTIFIER_DATABASE_URL", "PENNY_NOTIFIER_API_TOKENS", "PENNY_NOTIFIER_ENCRYPTION_KEYS", "PENNY_NOTIFIER_LINK_KEY"],
    }
    channels = eff["notifier"]["channels"].split(",")
    if "push" in channels:
        required["notifier"].append("PENNY_NOTIFIER_PUSH_SIGNING_SECRET")
    if "sms" in channels:
        required["notifier"].append("PENNY_NOTIFIER_SMS_AUTH_TOKEN")
    for label, names in required.items():
        dep = next((d for d in of_kind(docs, "Deployment") if is_penny(d) and component_of(d) == label), None)
        if not dep:
            problems.append(f"{label}: no Deployment")
            continue
        env = {e["name"]: e for e in dep["spec"]["template"]["spec"]["containers"][0].get("env", [])}
        for n in names:
            ref = (env.get(n) or {}).get("valueFrom", {}).get("secretKeyRef")
            if not ref:
                problems.append(f"{label}: {n} is not taken from a Secret")
            elif ref.get("optional"):
                problems.append(f"{label}: {n} is optional, production requires it")
        cm = cm_env(docs, label)
        if cm.get("PENNY_PLAID_ENVIRONMENT") != "production":
            problems.append(f"{label}: PENNY_PLAID_ENVIRONMENT is {cm.get('PENNY_PLAID_ENVIRONMENT')!r}")
        url = cm.get("PENNY_PLAID_BASE_URL")
        if url is not None and (not url.startswith("https://") or "sandbox" in url):
            problems.append(f"{label}: PENNY_PLAID_BASE_URL {url!r}")
        for k, v in cm.items():
            if k.endswith(("_URL", "_WEBHOOK_URL")) and k != "PENNY_NATS_URL" and not str(v).startswith("https://"):
                problems.append(f"{label}: {k}={v!r} is not https")
    return problems


def names_problems(docs) -> list[str]:
    """Every PENNY_* variable the chart sets is one that binary reads (its sources say so)."""
    problems = []
    known = {label: env_names_read_by(key) for key, (label, *_rest) in COMPONENTS.items()}
    known["pennyctl"] = env_names_read_by("pennyctl")
    for key, (label, *_rest) in COMPONENTS.items():
        known[f"migrate-{label}"] = known[label]
    for d in docs:
        if not is_penny(d):
            continue
        if d["kind"] == "ConfigMap":
            comp = component_of(d)
            for k in (d.get("data") or {}):
                if k.startswith("PENNY_") and k not in known.get(comp, set()):
                    problems.append(f"ConfigMap/{d['metadata']['name']}: {k} is read by no {comp} source")
        if d["kind"] in ("Deployment", "Job"):
            for c in d["spec"]["template"]["spec"]["containers"]:
                comp = component_of(d) if d["kind"] == "Deployment" else ("pennyctl" if c["name"] == "streams" else c["name"])
                for e in c.get("env", []) or []:
                    if e["name"].startswith("PENNY_") and e["name"] not in known.get(comp, set()):
                        problems.append(f"{d['kind']}/{d['metadata']['name']}/{c['name']}: {e['name']} is read by no {comp} source")
    return problems


def migrations_problems(docs, values: dict) -> list[str]:
    """The hook: every service's `migrate` and `pennyctl streams apply`, before the pods."""
    problems = []
    eff = effective(values)
    jobs = of_kind(docs, "Job")
    steps = {}
    for j in jobs:
        hooks = set(j["metadata"].get("annotations", {}).get("helm.sh/hook", "").split(","))
        for c in j["spec"]["template"]["spec"]["containers"]:
            steps[c["name"]] = (hooks, c.get("args"))
        if j["spec"]["template"]["spec"].get("restartPolicy") not in ("Never", "OnFailure"):
            problems.append(f"Job/{j['metadata']['name']}: restartPolicy")
    for key in ("verification", "transferEvents", "notifier"):
        label = COMPONENTS[key][0]
        if not eff[key]["enabled"]:
            continue
        hooks, args = steps.get(label, (set(), None))
        if args != ["migrate"] or not {"pre-install", "pre-upgrade"} <= hooks:
            problems.append(f"{label}: no `migrate` step in a pre-install,pre-upgrade hook (got {args}, {sorted(hooks)})")
    hooks, args = steps.get("streams", (set(), None))
    if args != ["streams", "apply"]:
        problems.append(f"no `pennyctl streams apply` step (got {args})")
    want = {"post-install", "pre-upgrade"} if eff["nats"]["enabled"] else {"pre-install", "pre-upgrade"}
    if not want <= hooks:
        problems.append(f"streams step hooks {sorted(hooks)}, want {sorted(want)}")
    # Hook objects the Job needs exist at pre-install: its ServiceAccount and Secret are hooks too.
    for j in jobs:
        spec = j["spec"]["template"]["spec"]
        sa = named(docs, "ServiceAccount", spec["serviceAccountName"])
        if not sa or "pre-install" not in sa["metadata"].get("annotations", {}).get("helm.sh/hook", ""):
            problems.append(f"Job/{j['metadata']['name']}: its ServiceAccount is not a pre-install hook")
        for c in spec["containers"]:
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    s = named(docs, "Secret", ref["name"])
                    if s is not None and "pre-install" not in s["metadata"].get("annotations", {}).get("helm.sh/hook", ""):
                        problems.append(f"Job/{j['metadata']['name']}: Secret {ref['name']} does not exist at pre-install")
    return problems


def expected_verification_max(eff: dict) -> int:
    """The independent oracle for values.yaml's arithmetic."""
    v = eff["verification"]
    if v["autoscaling"]["maxReplicaCount"]:
        return v["autoscaling"]["maxReplicaCount"]
    budget_per_s = v["plaidBudget"]["authGetPerClient"] / v["plaidBudget"]["windowSeconds"]
    in_flight = budget_per_s * eff["plaid"]["timeoutSeconds"]
    return max(math.ceil(in_flight / v["consumer"]["concurrency"]), v["autoscaling"]["minReplicaCount"], 1)


def autoscaling_problems(docs, values: dict) -> list[str]:
    problems = []
    eff = effective(values)
    hpas = of_kind(docs, "HorizontalPodAutoscaler")
    sos = {d["metadata"]["name"]: d for d in of_kind(docs, "ScaledObject")}
    deps = {component_of(d): d for d in of_kind(docs, "Deployment") if is_penny(d)}
    want_hpa = eff["ingress"]["enabled"] and eff["ingress"]["autoscaling"]["enabled"]
    if want_hpa != bool(hpas):
        problems.append(f"ingress HPA: want {want_hpa}, rendered {len(hpas)}")
    for h in hpas:
        if h["spec"]["scaleTargetRef"]["name"] != deps["ingress"]["metadata"]["name"]:
            problems.append("HPA does not target ingress")
        if [m["resource"]["name"] for m in h["spec"]["metrics"]] != ["cpu"]:
            problems.append("ingress HPA does not scale on CPU")
    keda = eff["keda"]["enabled"]
    want_so = {deps[c]["metadata"]["name"] for c in ("verification", "notifier") if keda and c in deps}
    if set(sos) != want_so:
        problems.append(f"ScaledObjects {sorted(sos)}, want {sorted(want_so)} (transfer-events is never autoscaled)")
    for label, d in deps.items():
        scaled = d["metadata"]["name"] in sos or (label == "ingress" and want_hpa)
        if scaled == ("replicas" in d["spec"]):
            problems.append(f"{label}: replicas must be left to the autoscaler exactly when one scales it")
    ver = sos.get(deps.get("verification", {}).get("metadata", {}).get("name"))
    if ver:
        want = expected_verification_max(eff)
        if ver["spec"]["maxReplicaCount"] != want:
            problems.append(f"verification maxReplicaCount {ver['spec']['maxReplicaCount']}, the /auth/get budget gives {want}")
        consumers = {t["metadata"]["consumer"] for t in ver["spec"]["triggers"]}
        if consumers != {eff["verification"]["consumer"]["name"], eff["verification"]["promptConsumer"]["name"]}:
            problems.append(f"verification triggers watch {consumers}")
    consumers = {
        eff["verification"]["consumer"]["name"]: "PLAID_WEBHOOKS",
        eff["verification"]["promptConsumer"]["name"]: "PLAID_WEBHOOKS",
        eff["notifier"]["consumer"]["name"]: "PENNY_EVENTS",
    }
    problems += keda_problems(docs, consumers)
    return problems


def streams_problems(docs, values: dict) -> list[str]:
    """Stream replicas set once: every service and pennyctl get streams.replicas."""
    eff = effective(values)
    want = str(eff["streams"]["replicas"])
    problems = []
    for d in of_kind(docs, "ConfigMap"):
        for k, v in (d.get("data") or {}).items():
            if k.endswith("STREAM_REPLICAS") and v != want:
                problems.append(f"ConfigMap/{d['metadata']['name']}: {k}={v}, streams.replicas is {want}")
    for j in of_kind(docs, "Job"):
        for c in j["spec"]["template"]["spec"]["containers"]:
            for e in c.get("env", []):
                if e["name"] == "PENNY_STREAMS_REPLICAS" and e.get("value") != want:
                    problems.append(f"Job: PENNY_STREAMS_REPLICAS={e.get('value')}")
    return problems


# ---------------------------------------------------------------------------------------------
# The runs


def check_case(title: str, files: list[str]) -> None:
    values = load_values(files)
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    lint = helm_python.lint(str(CHART), values, strict=True, kube_version=KUBE_VERSIONS[0])
    run(f"[{title}] helm lint --strict", lambda: [f"{m.get('path')}: {m.get('error')}" for m in lint.get("messages", []) if m.get("severity", 0) >= 2] + list(lint.get("errors", [])))
    try:
        docs = render(values)
    except Exception as error:
        report(f"[{title}] helm template", [f"{type(error).__name__}: {error}"])
        return
    report(f"[{title}] helm template ({len(docs)} objects)", [])
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{slug}.yaml").write_text(yaml.safe_dump_all([strip(d) for d in docs], sort_keys=False))
    run(f"[{title}] Kubernetes schemas, strict ({', '.join(KUBE_VERSIONS)})", k8s_schema_problems, docs)
    run(f"[{title}] pod security on every Pod spec", pod_security_problems, docs)
    run(f"[{title}] probes, PDB, Service, ServiceAccount, spread", workload_problems, docs, values)
    run(f"[{title}] secrets only in Secrets", secrets_problems, docs, values)
    run(f"[{title}] every PENNY_* name is read by its binary", names_problems, docs)
    run(f"[{title}] migration + streams hook Jobs", migrations_problems, docs, values)
    run(f"[{title}] autoscaling (HPA, KEDA) and its bounds", autoscaling_problems, docs, values)
    run(f"[{title}] stream replicas set once", streams_problems, docs, values)
    if effective(values)["plaid"]["environment"] == "production":
        run(f"[{title}] production: no development default, every secret required", production_problems, docs, values)
    text = notes(values)
    run(f"[{title}] NOTES.txt says how to reach the APIs", lambda: [] if all(s in text for s in ("penny.v1.VerificationService", "port-forward", "/webhooks/plaid")) else ["NOTES.txt lacks the API addresses"])


def check_refusals() -> None:
    """Each values/bad/*.yaml must be refused with its `# expect:` message."""
    for path in sorted((VALUES / "bad").glob("*.yaml")):
        text = path.read_text()
        layers = re.search(r"^# layers:(.*)$", text, re.M).group(1).split()
        expect = re.search(r"^# expect: (.*)$", text, re.M).group(1).strip()
        values = deep_merge(load_values(layers), yaml.safe_load(text) or {})

        def refused(values=values, expect=expect):
            try:
                render(values)
            except Exception as error:
                return [] if expect in str(error) else [f"refused, but not with {expect!r}: {error}"]
            return [f"rendered; want a refusal with {expect!r}"]

        run(f"[refuses] bad/{path.name}", refused)


def check_mutations() -> None:
    """The checks catch what they claim to (each mutation must be reported)."""
    values = load_values(["production.yaml"])
    docs = render(values)

    def mutated(fn):
        d = copy.deepcopy(docs)
        fn(d)
        return d

    def dep(d, label):
        return next(x for x in d if x.get("kind") == "Deployment" and component_of(x) == label)

    def container(d, label):
        return dep(d, label)["spec"]["template"]["spec"]["containers"][0]

    def must_report(name, checker, fn, *args, needle=""):
        def t():
            problems = checker(mutated(fn), *args)
            if not problems:
                return ["not reported"]
            if needle and not any(needle in p for p in problems):
                return [f"reported, but not {needle!r}: {problems[:3]}"]
            return []
        run(f"[catches] {name}", t)

    must_report("a writable root filesystem", pod_security_problems,
                lambda d: container(d, "notifier")["securityContext"].update(readOnlyRootFilesystem=False), needle="readOnlyRootFilesystem")
    must_report("capabilities not dropped", pod_security_problems,
                lambda d: container(d, "ingress")["securityContext"].pop("capabilities"), needle="capabilities")
    must_report("a root pod", pod_security_problems,
                lambda d: (dep(d, "verification")["spec"]["template"]["spec"]["securityContext"].update(runAsNonRoot=False),
                           container(d, "verification")["securityContext"].pop("runAsNonRoot")), needle="runAsNonRoot")
    must_report("a missing readiness probe", workload_problems,
                lambda d: container(d, "transfer-events").pop("readinessProbe"), values, needle="readinessProbe")
    must_report("a PDB that selects nothing", workload_problems,
                lambda d: next(x for x in d if x.get("kind") == "PodDisruptionBudget" and component_of(x) == "notifier")["spec"]["selector"]["matchLabels"].update({"app.kubernetes.io/component": "nobody"}), values, needle="PodDisruptionBudget")
    must_report("a secret name in a ConfigMap", secrets_problems,
                lambda d: next(x for x in d if x.get("kind") == "ConfigMap" and component_of(x) == "notifier")["data"].update(PENNY_NOTIFIER_LINK_KEY="x"), values, needle="secret's name")
    chart_secrets = load_values(["production-chart-secrets.yaml"])
    chart_docs = render(chart_secrets)
    def leak(d):
        next(x for x in d if x.get("kind") == "ConfigMap" and component_of(x) == "verification")["data"]["PENNY_VERIFICATION_CLIENT_NAME"] = chart_secrets["verification"]["apiTokens"]
    d2 = copy.deepcopy(chart_docs); leak(d2)
    run("[catches] a secret value in a ConfigMap", lambda: [] if any("holds a secret value" in p for p in secrets_problems(d2, chart_secrets)) else ["not reported"])
    must_report("a development default in production", production_problems,
                lambda d: next(x for x in d if x.get("kind") == "ConfigMap" and component_of(x) == "ingress")["data"].update(PENNY_PLAID_BASE_URL="http://127.0.0.1:7070"), values, needle="development default")
    must_report("a variable no binary reads", names_problems,
                lambda d: next(x for x in d if x.get("kind") == "ConfigMap" and component_of(x) == "notifier")["data"].update(PENNY_NOTIFIER_SMTP_HOSTNAME="x"), needle="PENNY_NOTIFIER_SMTP_HOSTNAME")
    must_report("a misspelt KEDA key (minReplicas)", keda_problems,
                lambda d: (lambda so: so["spec"].update(minReplicas=so["spec"].pop("minReplicaCount")))(next(x for x in d if x.get("kind") == "ScaledObject")), needle="/spec/minReplicas")
    must_report("an integer in KEDA trigger metadata", keda_problems,
                lambda d: next(x for x in d if x.get("kind") == "ScaledObject")["spec"]["triggers"][0]["metadata"].update(lagThreshold=10), needle="lagThreshold")
    must_report("a misspelt nats-jetstream trigger key", keda_problems,
                lambda d: (lambda m: m.update(lagTreshold=m.pop("lagThreshold")))(next(x for x in d if x.get("kind") == "ScaledObject")["spec"]["triggers"][0]["metadata"]), needle="trigger keys")
    must_report("a ScaledObject without scaleTargetRef", keda_problems,
                lambda d: next(x for x in d if x.get("kind") == "ScaledObject")["spec"].pop("scaleTargetRef"), needle="ScaledObject")
    must_report("a port number as a string", k8s_schema_problems,
                lambda d: container(d, "ingress")["ports"][0].update(containerPort="8080"), needle="containerPort")
    must_report("an unknown field in a Deployment", k8s_schema_problems,
                lambda d: container(d, "ingress").update(livenesProbe={}), needle="livenesProbe")
    must_report("verification allowed past the /auth/get budget", autoscaling_problems,
                lambda d: next(x for x in d if x.get("kind") == "ScaledObject" and component_of(x) == "verification")["spec"].update(maxReplicaCount=50), values, needle="budget")
    must_report("a pre-install Job without its hook Secret", migrations_problems,
                lambda d: next(x for x in d if x.get("kind") == "Job")["spec"]["template"]["spec"]["containers"][0].setdefault("env", []).append(
                    {"name": "X", "valueFrom": {"secretKeyRef": {"name": "penny-plaid-fake", "key": "k"}}}) or d.append(
                    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "penny-plaid-fake"}}), values, needle="pre-install")

    # A broken template: lint and render both fail.
    def broken():
        with tempfile.TemporaryDirectory() as tmp:
            copy_ = Path(tmp) / "penny"
            shutil.copytree(CHART, copy_)
            # An `if` without its `end`: a parse error.
            (copy_ / "templates/broken.yaml").write_text("{{- if .Values.plaid.environment }}\nkind: ConfigMap\n")
            lint = helm_python.lint(str(copy_), load_values(["minimal.yaml"]), strict=True)
            problems = [] if lint.get("errors") else ["helm lint passed a template with a syntax error"]
            try:
                render(load_values(["minimal.yaml"]), chart=copy_)
                problems.append("helm template rendered a template with a syntax error")
            except Exception:
                pass
            return problems
    run("[catches] a template with a syntax error (lint and template)", broken)

    # values.schema.json covers every value: a new key in values.yaml without a schema is refused.
    def unschematized():
        with tempfile.TemporaryDirectory() as tmp:
            copy_ = Path(tmp) / "penny"
            shutil.copytree(CHART, copy_)
            with open(copy_ / "values.yaml", "a") as f:
                f.write("\nundocumentedSetting: 1\n")
            try:
                render(load_values(["minimal.yaml"]), chart=copy_)
            except Exception as error:
                return [] if "undocumentedSetting" in str(error) else [f"refused for another reason: {error}"]
            return ["a value without a schema rendered"]
    run("[catches] a value missing from values.schema.json", unschematized)


def grpc_names_problems() -> list[str]:
    """The readiness probes' gRPC service names are services the protos define."""
    defined = set()
    for proto in (ROOT / "proto").rglob("*.proto"):
        text = proto.read_text()
        package = re.search(r"^package\s+([\w.]+);", text, re.M)
        defined |= {f"{package.group(1)}.{s}" for s in re.findall(r"^service\s+(\w+)", text, re.M)} if package else set()
    facts = yaml.safe_load(re.search(r'define "penny.facts" -}}\n(.*?)\n{{- end', (CHART / "templates/_helpers.tpl").read_text(), re.S).group(1))
    problems = [f"{k}: {v} is no proto service" for k, (_l, _s, v) in COMPONENTS.items() if v and v not in defined]
    problems += [f"penny.facts {k}: {f['grpcService']} differs from {COMPONENTS[k][2]}" for k, f in facts.items() if (f["grpcService"] or None) != COMPONENTS[k][2]]
    return problems


def main() -> int:
    print(f"penny chart checks: helm SDK {helm_python.helm_sdk_version()}, kubernetes-validate {kubernetes_validate.version.__version__ if hasattr(kubernetes_validate.version, '__version__') else '?'}")
    run("[sources] gRPC health names are the protos' services", grpc_names_problems)
    for title, files in CASES.items():
        check_case(title, files)
    check_refusals()
    check_mutations()
    print(f"helm-check: {len(passed)} passed, {len(failed)} failed")
    if failed:
        print("failed:")
        for f in failed:
            print(f"  {f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
