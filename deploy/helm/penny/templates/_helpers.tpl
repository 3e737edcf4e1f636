{{/* Names, labels, images and the facts about each component (binary, ports, gRPC name). */}}

{{- define "penny.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "penny.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The component keys in values, in order. */}}
{{- define "penny.keys" -}}ingress verification transferEvents notifier sandbox{{- end }}

{{/* What the code decides about each component (not configurable). */}}
{{- define "penny.facts" -}}
ingress: {binary: penny-ingress, prefix: PENNY_INGRESS, grpcService: "", healthPath: /healthz, readyPath: /readyz}
verification: {binary: penny-verification, prefix: PENNY_VERIFICATION, grpcService: penny.v1.VerificationService, healthPath: /healthz, readyPath: /readyz}
transferEvents: {binary: penny-transfer-events, prefix: PENNY_TRANSFER_EVENTS, grpcService: penny.v1.TransferEventsService, healthPath: /healthz, readyPath: /readyz}
notifier: {binary: penny-notifier, prefix: PENNY_NOTIFIER, grpcService: penny.v1.NotifierService, healthPath: /healthz, readyPath: /readyz}
sandbox: {binary: penny-sandbox, prefix: PENNY_SANDBOX, grpcService: "", healthPath: /__sandbox/health, readyPath: /__sandbox/health}
{{- end }}

{{/* "<fullname>-<component>", e.g. penny-transfer-events. Args: (list $ key). */}}
{{- define "penny.componentName" -}}
{{- $root := index . 0 }}
{{- printf "%s-%s" (include "penny.fullname" $root) (index . 1 | kebabcase) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "penny.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "penny.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: penny
{{- end }}

{{/* Selector labels of one component. Args: (list $ key). */}}
{{- define "penny.selectorLabels" -}}
{{- $root := index . 0 }}
app.kubernetes.io/name: {{ include "penny.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 | kebabcase }}
{{- end }}

{{- define "penny.componentLabels" -}}
{{- $root := index . 0 }}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: penny
{{ include "penny.selectorLabels" . }}
{{- end }}

{{- define "penny.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "penny.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* registry/repository:tag or @digest. Args: (list $ imageValues). */}}
{{- define "penny.image" -}}
{{- $root := index . 0 }}
{{- $img := index . 1 }}
{{- $repo := $img.repository }}
{{- with $root.Values.image.registry }}{{ $repo = printf "%s/%s" (trimSuffix "/" .) $repo }}{{ end }}
{{- if $img.digest }}
{{- printf "%s@%s" $repo $img.digest }}
{{- else }}
{{- printf "%s:%s" $repo (default $root.Chart.AppVersion (default $root.Values.image.tag $img.tag)) }}
{{- end }}
{{- end }}

{{/* Whether the component runs. Args: (list $ key). */}}
{{- define "penny.enabled" -}}
{{- if (index (index . 0).Values (index . 1)).enabled }}true{{ end }}
{{- end }}

{{/* Whether KEDA scales the component (verification, notifier). Args: (list $ key). */}}
{{- define "penny.kedaScaled" -}}
{{- $root := index . 0 }}
{{- if and $root.Values.keda.enabled (has (index . 1) (list "verification" "notifier")) (include "penny.enabled" .) }}true{{ end }}
{{- end }}

{{/* Whether the component's Deployment leaves `replicas` to an autoscaler. Args: (list $ key). */}}
{{- define "penny.autoscaled" -}}
{{- $root := index . 0 }}
{{- if include "penny.kedaScaled" . }}true
{{- else if and (eq (index . 1) "ingress") $root.Values.ingress.autoscaling.enabled }}true
{{- end }}
{{- end }}

{{- define "penny.isProduction" -}}
{{- if eq .Values.plaid.environment "production" }}true{{ end }}
{{- end }}

{{/* The bundled NATS chart's fullname (its own rule, nats/templates/_helpers.tpl). */}}
{{- define "penny.natsFullname" -}}
{{- if .Values.nats.fullnameOverride }}
{{- .Values.nats.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default "nats" .Values.nats.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The NATS URL when it is not a secret: the bundled cluster's service or externalNats.url. */}}
{{- define "penny.natsUrl" -}}
{{- if .Values.nats.enabled }}
{{- printf "nats://%s.%s.svc:4222" (include "penny.natsFullname" .) .Release.Namespace }}
{{- else }}
{{- required "externalNats.url (or externalNats.existingSecret) is required when nats.enabled=false" .Values.externalNats.url }}
{{- end }}
{{- end }}

{{/* {secret, key} when the NATS URL comes from a Secret (existingSecret, or a URL with credentials), else empty. */}}
{{- define "penny.natsUrlSecret" -}}
{{- if not .Values.nats.enabled }}
{{- if .Values.externalNats.existingSecret }}
{{- dict "secret" .Values.externalNats.existingSecret "key" "url" | toYaml }}
{{- else if contains "@" .Values.externalNats.url }}
{{- dict "secret" (printf "%s-nats" (include "penny.fullname" .)) "key" "url" | toYaml }}
{{- end }}
{{- end }}
{{- end }}

{{/* host:port of NATS' HTTP monitoring (/jsz) for KEDA: the headless service, so KEDA can reach each server. */}}
{{- define "penny.natsMonitoringEndpoint" -}}
{{- if .Values.nats.enabled }}
{{- printf "%s-headless.%s.svc.cluster.local:%d" (include "penny.natsFullname" .) .Release.Namespace (int .Values.nats.config.monitor.port) }}
{{- else }}
{{- required "externalNats.monitoringEndpoint is required for KEDA when nats.enabled=false" .Values.externalNats.monitoringEndpoint }}
{{- end }}
{{- end }}

{{- define "penny.natsAccount" -}}
{{- if .Values.nats.enabled }}$G{{ else }}{{ .Values.externalNats.account }}{{ end }}
{{- end }}

{{/*
Services create a missing stream themselves only while nobody applied the topology yet: with
the bundled NATS (the streams Job runs after install) or with migrations off.
*/}}
{{- define "penny.createMissingStreams" -}}
{{- if or .Values.nats.enabled (not .Values.migrations.enabled) }}true{{ else }}false{{ end }}
{{- end }}

{{/* Plaid's base URL. Production: Plaid's production host, never the simulator or sandbox. */}}
{{- define "penny.plaidBaseUrl" -}}
{{- if include "penny.isProduction" . }}
{{- $url := default "https://production.plaid.com" .Values.plaid.baseUrl }}
{{- if or (not (hasPrefix "https://" $url)) (contains "sandbox" $url) }}
{{- fail (printf "plaid.baseUrl %q: production needs Plaid's https production host, never a sandbox" $url) }}
{{- end }}
{{- $url }}
{{- else if .Values.plaid.baseUrl }}
{{- .Values.plaid.baseUrl }}
{{- else if .Values.sandbox.enabled }}
{{- printf "http://%s:%d" (include "penny.componentName" (list . "sandbox")) (int .Values.sandbox.ports.http) }}
{{- else }}
{{- "https://sandbox.plaid.com" }}
{{- end }}
{{- end }}

{{/*
The Secret holding Plaid's client-id and secret, or empty when the services use their built-in
sandbox credentials (only with the in-cluster simulator, never in production).
*/}}
{{- define "penny.plaidSecret" -}}
{{- $p := .Values.plaid }}
{{- if $p.existingSecret }}
{{- $p.existingSecret }}
{{- else if or $p.clientId $p.secret (include "penny.isProduction" .) (not .Values.sandbox.enabled) }}
{{- $_ := required "plaid.clientId (or plaid.existingSecret) is required unless the in-cluster sandbox is Plaid" $p.clientId }}
{{- $_ := required "plaid.secret (or plaid.existingSecret) is required unless the in-cluster sandbox is Plaid" $p.secret }}
{{- printf "%s-plaid" (include "penny.fullname" .) }}
{{- end }}
{{- end }}

{{/* The Secret holding each service's database URL (keys verification, transfer-events, notifier). */}}
{{- define "penny.databaseSecret" -}}
{{- if .Values.database.existingSecret }}
{{- .Values.database.existingSecret }}
{{- else }}
{{- printf "%s-database" (include "penny.fullname" .) }}
{{- end }}
{{- end }}

{{/* A service's database URL for the chart-made Secret. Args: (list $ key). */}}
{{- define "penny.databaseUrl" -}}
{{- $ := index . 0 }}{{ $key := index . 1 }}{{ $d := $.Values.database }}
{{- with index $d.urls $key }}
{{- . }}
{{- else }}
{{- $host := required (printf "database.host, database.urls.%s or database.existingSecret is required (PostgreSQL is external)" $key) $d.host }}
{{- if and (include "penny.isProduction" $) (not $d.password) }}
{{- fail "database.password (or database.urls / database.existingSecret) is required in production" }}
{{- end }}
{{- $auth := $d.username | urlquery }}
{{- with $d.password }}{{ $auth = printf "%s:%s" $auth (. | urlquery) }}{{ end }}
{{- printf "postgres://%s@%s:%d/%s?sslmode=%s" $auth $host (int $d.port) (index $d.names $key) $d.sslmode }}
{{- end }}
{{- end }}

{{/* Whether production requires this secret key of a component. Args: (list $ key secretKey). */}}
{{- define "penny.secretRequired" -}}
{{- $ := index . 0 }}{{ $key := index . 1 }}{{ $skey := index . 2 }}
{{- if include "penny.isProduction" $ }}
{{- $channels := splitList "," ($.Values.notifier.channels | nospace) }}
{{- if has $skey (list "api-tokens" "encryption-keys" "link-key") }}true
{{- else if and (eq $skey "sms-auth-token") (has "sms" $channels) }}true
{{- else if and (eq $skey "push-signing-secret") (has "push" $channels) }}true
{{- else if and (eq $skey "smtp-password") (has "email" $channels) $.Values.notifier.smtp.username }}true
{{- end }}
{{- end }}
{{- end }}

{{/* The webhook URL Link tokens carry: ingress' public POST /webhooks/plaid. */}}
{{- define "penny.webhookUrl" -}}
{{- $v := .Values.verification }}
{{- if $v.webhookUrl }}
{{- $v.webhookUrl }}
{{- else if .Values.ingress.expose.host }}
{{- printf "https://%s/webhooks/plaid" .Values.ingress.expose.host }}
{{- else if include "penny.isProduction" . }}
{{- fail "verification.webhookUrl (or ingress.expose.host) is required in production: Plaid must reach POST /webhooks/plaid over https" }}
{{- else }}
{{- printf "http://%s:%d/webhooks/plaid" (include "penny.componentName" (list . "ingress")) (int .Values.ingress.service.port) }}
{{- end }}
{{- end }}

{{/* The notifier's public URL (unsubscribe links). */}}
{{- define "penny.notifierPublicUrl" -}}
{{- $v := .Values.notifier }}
{{- if $v.publicUrl }}
{{- $v.publicUrl }}
{{- else if $v.expose.host }}
{{- printf "https://%s" $v.expose.host }}
{{- else if include "penny.isProduction" . }}
{{- fail "notifier.publicUrl (or notifier.expose.host) is required in production: unsubscribe links must be https" }}
{{- else }}
{{- printf "http://%s:%d" (include "penny.componentName" (list . "notifier")) (int $v.ports.public) }}
{{- end }}
{{- end }}

{{/* A size like 1GiB / 512MiB / 1073741824 in bytes (ingress wants plain bytes, pennyctl takes units). */}}
{{- define "penny.bytes" -}}
{{- $m := regexFind "^[0-9]+" . }}
{{- $unit := trimPrefix $m . | trim }}
{{- $f := get (dict "" 1 "B" 1 "KiB" 1024 "MiB" 1048576 "GiB" 1073741824 "TiB" 1099511627776) $unit }}
{{- if or (not $m) (not $f) }}{{ fail (printf "%q is not a size (e.g. 1073741824, 512MiB, 10GiB)" .) }}{{ end }}
{{- mul (int64 $m) $f }}
{{- end }}

{{/*
verification's KEDA maxReplicaCount. Set: that. 0: derived from Plaid's /auth/get client
budget (values.yaml shows the arithmetic):
  ceil(authGetPerClient / windowSeconds * plaid.timeoutSeconds / consumer.concurrency)
*/}}
{{- define "penny.verificationMaxReplicas" -}}
{{- $v := .Values.verification }}
{{- if $v.autoscaling.maxReplicaCount }}
{{- $v.autoscaling.maxReplicaCount }}
{{- else }}
{{- $inFlight := mul (int64 $v.plaidBudget.authGetPerClient) (int64 .Values.plaid.timeoutSeconds) }}
{{- $perReplica := mul (int64 $v.plaidBudget.windowSeconds) (int64 $v.consumer.concurrency) }}
{{- $n := div (add $inFlight $perReplica -1) $perReplica }}
{{- max $n (int64 $v.autoscaling.minReplicaCount) 1 }}
{{- end }}
{{- end }}

{{/* Every penny pod: non-root (distroless' 65532), RuntimeDefault seccomp. */}}
{{- define "penny.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Every penny container: no privilege, no escalation, read-only root, no capabilities. */}}
{{- define "penny.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
privileged: false
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}
