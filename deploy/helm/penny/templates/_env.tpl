{{/*
Every environment variable the chart gives a penny binary, in one place per service: each
"penny.env.<component>" returns
  config:  {NAME: "value"}                          -> the component's ConfigMap (never a secret)
  secrets: [{name, secret, key, optional}]          -> env entries with secretKeyRef
The names are the binaries' clap `env = "..."` attributes (`<binary> --help` lists them):
  crates/config/src/{nats,plaid,telemetry}.rs       PENNY_NATS_URL, PENNY_PLAID_*, PENNY_LOG_*, PENNY_OTLP_ENDPOINT
  services/ingress/src/config.rs                    PENNY_INGRESS_*
  services/verification/src/config/{mod,sections}.rs PENNY_VERIFICATION_*
  services/transfer-events/src/config/{mod,sections}.rs PENNY_TRANSFER_EVENTS_*
  services/notifier/src/config/{mod,sections,channels}.rs PENNY_NOTIFIER_*
  services/sandbox/src/config.rs                    PENNY_SANDBOX_*
  tools/pennyctl/src/topology_args.rs               PENNY_STREAMS_*
  crates/bus/src/consumer/settings.rs (consumer_args!) <PREFIX>_CONSUMER_{NAME,CONCURRENCY,MAX_ACK_PENDING,...}
When a service renames a variable, change it here: `scripts/helm-check.sh` fails on any name the
binary's sources do not read (deploy/helm/check/check.py, names_problems).
*/}}

{{/* A secretKeyRef entry. Args: dict name secret key [optional]. */}}
{{- define "penny.secretEntry" -}}
- {name: {{ .name | quote }}, secret: {{ .secret | quote }}, key: {{ .key | quote }}, optional: {{ .optional | default false }}}
{{- end }}

{{/* NATS, Plaid environment and telemetry: what every service reads. */}}
{{- define "penny.env.shared" -}}
{{- $ := . }}
config:
  {{- if not (include "penny.natsUrlSecret" $) }}
  PENNY_NATS_URL: {{ include "penny.natsUrl" $ | quote }}
  {{- end }}
  PENNY_PLAID_ENVIRONMENT: {{ $.Values.plaid.environment | quote }}
  PENNY_LOG_FORMAT: {{ $.Values.telemetry.logFormat | quote }}
  PENNY_LOG_FILTER: {{ $.Values.telemetry.logFilter | quote }}
  {{- with $.Values.telemetry.otlpEndpoint }}
  PENNY_OTLP_ENDPOINT: {{ . | quote }}
  {{- end }}
secrets:
  {{- with (include "penny.natsUrlSecret" $ | fromYaml) }}
  {{- include "penny.secretEntry" (dict "name" "PENNY_NATS_URL" "secret" .secret "key" .key) | nindent 2 }}
  {{- end }}
{{- end }}

{{/* The Plaid API: ingress, verification and transfer-events call it. */}}
{{- define "penny.env.plaid" -}}
{{- $ := . }}
config:
  PENNY_PLAID_BASE_URL: {{ include "penny.plaidBaseUrl" $ | quote }}
  PENNY_PLAID_TIMEOUT: {{ printf "%ds" (int $.Values.plaid.timeoutSeconds) | quote }}
secrets:
  {{- with (include "penny.plaidSecret" $) }}
  {{- include "penny.secretEntry" (dict "name" "PENNY_PLAID_CLIENT_ID" "secret" . "key" "client-id") | nindent 2 }}
  {{- include "penny.secretEntry" (dict "name" "PENNY_PLAID_SECRET" "secret" . "key" "secret") | nindent 2 }}
  {{- end }}
{{- end }}

{{/* The database URL of a service. Args: (list $ key envName). */}}
{{- define "penny.env.database" -}}
{{- $ := index . 0 }}{{ $key := index . 1 }}
secrets:
  {{- include "penny.secretEntry" (dict "name" (index . 2) "secret" (include "penny.databaseSecret" $) "key" ($key | kebabcase)) | nindent 2 }}
{{- end }}

{{- define "penny.env.ingress" -}}
{{- $ := . }}{{ $v := $.Values.ingress }}
config:
  PENNY_INGRESS_LISTEN: {{ printf "0.0.0.0:%d" (int $v.ports.http) | quote }}
  PENNY_INGRESS_SHUTDOWN_GRACE: {{ printf "%ds" (int $.Values.pods.shutdownGraceSeconds) | quote }}
  PENNY_INGRESS_CREATE_MISSING_STREAMS: {{ include "penny.createMissingStreams" $ | quote }}
  PENNY_INGRESS_STREAM_REPLICAS: {{ $.Values.streams.replicas | toString | quote }}
  PENNY_INGRESS_STREAM_MAX_BYTES: {{ include "penny.bytes" $.Values.streams.webhooksMaxBytes | quote }}
  PENNY_INGRESS_STREAM_MAX_AGE: {{ $.Values.streams.webhooksMaxAge | quote }}
  PENNY_INGRESS_STREAM_DUPLICATE_WINDOW: {{ $.Values.streams.duplicateWindow | quote }}
{{- end }}

{{- define "penny.env.verification" -}}
{{- $ := . }}{{ $v := $.Values.verification }}
config:
  PENNY_VERIFICATION_GRPC_LISTEN: {{ printf "0.0.0.0:%d" (int $v.ports.grpc) | quote }}
  PENNY_VERIFICATION_ADMIN_LISTEN: {{ printf "0.0.0.0:%d" (int $v.ports.admin) | quote }}
  PENNY_VERIFICATION_SHUTDOWN_GRACE: {{ printf "%ds" (int $.Values.pods.shutdownGraceSeconds) | quote }}
  PENNY_VERIFICATION_STREAM_REPLICAS: {{ $.Values.streams.replicas | toString | quote }}
  PENNY_VERIFICATION_CREATE_MISSING_STREAMS: {{ include "penny.createMissingStreams" $ | quote }}
  PENNY_VERIFICATION_WEBHOOK_URL: {{ include "penny.webhookUrl" $ | quote }}
  PENNY_VERIFICATION_CLIENT_NAME: {{ $v.clientName | quote }}
  PENNY_VERIFICATION_CONSUMER_NAME: {{ $v.consumer.name | quote }}
  PENNY_VERIFICATION_CONSUMER_CONCURRENCY: {{ $v.consumer.concurrency | toString | quote }}
  PENNY_VERIFICATION_CONSUMER_MAX_ACK_PENDING: {{ $v.consumer.maxAckPending | toString | quote }}
  PENNY_VERIFICATION_PROMPT_CONSUMER_NAME: {{ $v.promptConsumer.name | quote }}
  PENNY_VERIFICATION_PROMPT_CONSUMER_CONCURRENCY: {{ $v.promptConsumer.concurrency | toString | quote }}
  PENNY_VERIFICATION_PROMPT_CONSUMER_MAX_ACK_PENDING: {{ $v.promptConsumer.maxAckPending | toString | quote }}
  PENNY_VERIFICATION_AUTH_GET_PER_CLIENT: {{ $v.plaidBudget.authGetPerClient | toString | quote }}
  PENNY_VERIFICATION_AUTH_GET_PER_ITEM: {{ $v.plaidBudget.authGetPerItem | toString | quote }}
  PENNY_VERIFICATION_RATE_LIMIT_WINDOW: {{ printf "%ds" (int $v.plaidBudget.windowSeconds) | quote }}
secrets:
  {{- include "penny.componentSecretEntries" (list $ "verification" (list
        (list "PENNY_VERIFICATION_API_TOKENS" "api-tokens" $v.apiTokens)
        (list "PENNY_VERIFICATION_ENCRYPTION_KEYS" "encryption-keys" $v.encryptionKeys))) | nindent 2 }}
{{- end }}

{{- define "penny.env.transferEvents" -}}
{{- $ := . }}{{ $v := $.Values.transferEvents }}
config:
  PENNY_TRANSFER_EVENTS_GRPC_LISTEN: {{ printf "0.0.0.0:%d" (int $v.ports.grpc) | quote }}
  PENNY_TRANSFER_EVENTS_ADMIN_LISTEN: {{ printf "0.0.0.0:%d" (int $v.ports.admin) | quote }}
  PENNY_TRANSFER_EVENTS_SHUTDOWN_GRACE: {{ printf "%ds" (int $.Values.pods.shutdownGraceSeconds) | quote }}
  PENNY_TRANSFER_EVENTS_STREAM_REPLICAS: {{ $.Values.streams.replicas | toString | quote }}
  PENNY_TRANSFER_EVENTS_CREATE_MISSING_STREAMS: {{ include "penny.createMissingStreams" $ | quote }}
  PENNY_TRANSFER_EVENTS_MODE: {{ $v.mode | quote }}
  PENNY_TRANSFER_EVENTS_CONSUMER_NAME: {{ $v.consumer.name | quote }}
  PENNY_TRANSFER_EVENTS_ACCOUNTS_CONSUMER_NAME: {{ $v.accountsConsumer.name | quote }}
  PENNY_TRANSFER_EVENTS_SWEEP_INTERVAL: {{ $v.sweepInterval | quote }}
secrets:
  {{- include "penny.componentSecretEntries" (list $ "transferEvents" (list
        (list "PENNY_TRANSFER_EVENTS_API_TOKENS" "api-tokens" $v.apiTokens))) | nindent 2 }}
{{- end }}

{{- define "penny.env.notifier" -}}
{{- $ := . }}{{ $v := $.Values.notifier }}
config:
  PENNY_NOTIFIER_GRPC_LISTEN: {{ printf "0.0.0.0:%d" (int $v.ports.grpc) | quote }}
  PENNY_NOTIFIER_ADMIN_LISTEN: {{ printf "0.0.0.0:%d" (int $v.ports.admin) | quote }}
  PENNY_NOTIFIER_PUBLIC_LISTEN: {{ printf "0.0.0.0:%d" (int $v.ports.public) | quote }}
  PENNY_NOTIFIER_PUBLIC_URL: {{ include "penny.notifierPublicUrl" $ | quote }}
  PENNY_NOTIFIER_SHUTDOWN_GRACE: {{ printf "%ds" (int $.Values.pods.shutdownGraceSeconds) | quote }}
  PENNY_NOTIFIER_STREAM_REPLICAS: {{ $.Values.streams.replicas | toString | quote }}
  PENNY_NOTIFIER_CREATE_MISSING_STREAMS: {{ include "penny.createMissingStreams" $ | quote }}
  PENNY_NOTIFIER_PRODUCT_NAME: {{ $v.productName | quote }}
  PENNY_NOTIFIER_CHANNELS: {{ $v.channels | quote }}
  PENNY_NOTIFIER_SMTP_HOST: {{ $v.smtp.host | quote }}
  PENNY_NOTIFIER_SMTP_PORT: {{ $v.smtp.port | toString | quote }}
  PENNY_NOTIFIER_SMTP_SECURITY: {{ $v.smtp.security | quote }}
  PENNY_NOTIFIER_SMTP_POOL_SIZE: {{ $v.smtp.poolSize | toString | quote }}
  {{- with $v.smtp.username }}
  PENNY_NOTIFIER_SMTP_USERNAME: {{ . | quote }}
  {{- end }}
  {{- with $v.emailFrom }}
  PENNY_NOTIFIER_EMAIL_FROM: {{ . | quote }}
  {{- end }}
  {{- with $v.sms.baseUrl }}
  PENNY_NOTIFIER_SMS_BASE_URL: {{ . | quote }}
  {{- end }}
  {{- with $v.sms.accountSid }}
  PENNY_NOTIFIER_SMS_ACCOUNT_SID: {{ . | quote }}
  {{- end }}
  {{- with $v.sms.from }}
  PENNY_NOTIFIER_SMS_FROM: {{ . | quote }}
  {{- end }}
  PENNY_NOTIFIER_SEND_CONCURRENCY: {{ $v.sendConcurrency | toString | quote }}
  PENNY_NOTIFIER_CONSUMER_NAME: {{ $v.consumer.name | quote }}
  PENNY_NOTIFIER_CONSUMER_CONCURRENCY: {{ $v.consumer.concurrency | toString | quote }}
  PENNY_NOTIFIER_CONSUMER_MAX_ACK_PENDING: {{ $v.consumer.maxAckPending | toString | quote }}
secrets:
  {{- include "penny.componentSecretEntries" (list $ "notifier" (list
        (list "PENNY_NOTIFIER_API_TOKENS" "api-tokens" $v.apiTokens)
        (list "PENNY_NOTIFIER_ENCRYPTION_KEYS" "encryption-keys" $v.encryptionKeys)
        (list "PENNY_NOTIFIER_LINK_KEY" "link-key" $v.linkKey)
        (list "PENNY_NOTIFIER_SMTP_PASSWORD" "smtp-password" $v.smtp.password)
        (list "PENNY_NOTIFIER_SMS_AUTH_TOKEN" "sms-auth-token" $v.sms.authToken)
        (list "PENNY_NOTIFIER_PUSH_SIGNING_SECRET" "push-signing-secret" $v.push.signingSecret))) | nindent 2 }}
{{- end }}

{{- define "penny.env.sandbox" -}}
{{- $ := . }}{{ $v := $.Values.sandbox }}
config:
  PENNY_SANDBOX_LISTEN: {{ printf "0.0.0.0:%d" (int $v.ports.http) | quote }}
  PENNY_SANDBOX_BANK_TRANSFERS_WEBHOOK: {{ printf "http://%s:%d/webhooks/plaid" (include "penny.componentName" (list $ "ingress")) (int $.Values.ingress.service.port) | quote }}
  PENNY_SANDBOX_EVENT_FEED: {{ $.Values.transferEvents.mode | quote }}
secrets: []
{{- end }}

{{/* pennyctl streams apply (the migration Job): the stream topology, set once. */}}
{{- define "penny.env.pennyctl" -}}
{{- $ := . }}{{ $s := $.Values.streams }}
config:
  {{- if not (include "penny.natsUrlSecret" $) }}
  PENNY_NATS_URL: {{ include "penny.natsUrl" $ | quote }}
  {{- end }}
  PENNY_STREAMS_REPLICAS: {{ $s.replicas | toString | quote }}
  PENNY_STREAMS_WEBHOOKS_MAX_BYTES: {{ $s.webhooksMaxBytes | quote }}
  PENNY_STREAMS_WEBHOOKS_MAX_AGE: {{ $s.webhooksMaxAge | quote }}
  PENNY_STREAMS_EVENTS_MAX_BYTES: {{ $s.eventsMaxBytes | quote }}
  PENNY_STREAMS_EVENTS_MAX_AGE: {{ $s.eventsMaxAge | quote }}
  PENNY_STREAMS_DEAD_LETTERS_MAX_BYTES: {{ $s.deadLettersMaxBytes | quote }}
  PENNY_STREAMS_DEAD_LETTERS_MAX_AGE: {{ $s.deadLettersMaxAge | quote }}
  PENNY_STREAMS_DUPLICATE_WINDOW: {{ $s.duplicateWindow | quote }}
secrets:
  {{- with (include "penny.natsUrlSecret" $ | fromYaml) }}
  {{- include "penny.secretEntry" (dict "name" "PENNY_NATS_URL" "secret" .secret "key" .key) | nindent 2 }}
  {{- end }}
{{- end }}

{{/* The database URL variable of each service that owns tables (and runs `migrate`). */}}
{{- define "penny.databaseEnvNames" -}}
verification: PENNY_VERIFICATION_DATABASE_URL
transferEvents: PENNY_TRANSFER_EVENTS_DATABASE_URL
notifier: PENNY_NOTIFIER_DATABASE_URL
{{- end }}

{{/*
A component's whole environment: shared + Plaid (if it calls Plaid) + database (if it owns
tables) + its own, merged. Args: (list $ key). Returns YAML {config: {}, secrets: []}.
*/}}
{{- define "penny.env" -}}
{{- $ := index . 0 }}{{ $key := index . 1 }}
{{- $config := dict }}{{ $secrets := list }}
{{- $parts := list (include (printf "penny.env.%s" $key) $ | fromYaml) }}
{{- if ne $key "sandbox" }}
{{- $parts = prepend $parts (include "penny.env.shared" $ | fromYaml) }}
{{- end }}
{{- if has $key (list "ingress" "verification" "transferEvents") }}
{{- $parts = append $parts (include "penny.env.plaid" $ | fromYaml) }}
{{- end }}
{{- with (index (include "penny.databaseEnvNames" $ | fromYaml) $key) }}
{{- $parts = append $parts (include "penny.env.database" (list $ $key .) | fromYaml) }}
{{- end }}
{{- range $parts }}
{{- $config = merge $config (.config | default dict) }}
{{- $secrets = concat $secrets (.secrets | default list) }}
{{- end }}
{{- $extra := (index $.Values $key).env | default dict }}
{{- range $name, $value := $extra }}
{{- if regexMatch "(SECRET|TOKEN|PASSWORD|_KEY|KEYS|DATABASE_URL)" $name }}
{{- fail (printf "%s.env.%s looks like a secret: give it through the chart's secret values or existingSecret, never a ConfigMap" $key $name) }}
{{- end }}
{{- $_ := set $config $name ($value | toString) }}
{{- end }}
{{- dict "config" $config "secrets" $secrets | toYaml }}
{{- end }}

{{/*
secretKeyRef entries for a component's secrets: from its existingSecret (every key, the ones
production does not require marked optional), or from the chart-made Secret for the values
given. Args: (list $ key (list (list ENV secretKey value) ...)).
*/}}
{{- define "penny.componentSecretEntries" -}}
{{- $ := index . 0 }}{{ $key := index . 1 }}{{ $v := index $.Values $key }}
{{- $out := list }}
{{- range index . 2 }}
{{- $env := index . 0 }}{{ $skey := index . 1 }}{{ $value := index . 2 }}
{{- if $v.existingSecret }}
{{- $out = append $out (dict "name" $env "secret" $v.existingSecret "key" $skey "optional" (not (include "penny.secretRequired" (list $ $key $skey)))) }}
{{- else if $value }}
{{- $out = append $out (dict "name" $env "secret" (include "penny.componentName" (list $ $key)) "key" $skey "optional" false) }}
{{- end }}
{{- end }}
{{- $out | toYaml }}
{{- end }}
