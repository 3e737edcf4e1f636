{{/*
Refusals at render time (`helm template`/`install` fail with the message). Production never
renders with a missing secret or a development default; see also penny.plaidBaseUrl,
penny.plaidSecret, penny.databaseUrl, penny.webhookUrl and penny.notifierPublicUrl.
*/}}
{{- define "penny.validate" -}}
{{- $ := . }}
{{- $prod := include "penny.isProduction" $ }}
{{- $n := $.Values.notifier }}
{{- if and $prod $.Values.sandbox.enabled }}
{{- fail "sandbox.enabled: the Plaid simulator is for development clusters; plaid.environment=production refuses it" }}
{{- end }}
{{- /* Every secret production needs, from the values or an existingSecret. */}}
{{- if $prod }}
{{- range $key, $pairs := dict
      "verification" (list (list "api-tokens" "apiTokens") (list "encryption-keys" "encryptionKeys"))
      "transferEvents" (list (list "api-tokens" "apiTokens"))
      "notifier" (list (list "api-tokens" "apiTokens") (list "encryption-keys" "encryptionKeys") (list "link-key" "linkKey")) }}
{{- $v := index $.Values $key }}
{{- if and $v.enabled (not $v.existingSecret) }}
{{- range $pairs }}
{{- $_ := required (printf "%s.%s (or %s.existingSecret with key %s) is required in production" $key (index . 1) $key (index . 0)) (index $v (index . 1)) }}
{{- end }}
{{- end }}
{{- end }}
{{- $channels := splitList "," ($n.channels | nospace) }}
{{- if $n.enabled }}
{{- if has "email" $channels }}
{{- if eq $n.smtp.security "plain" }}{{ fail "notifier.smtp.security: plain SMTP is refused in production (starttls or tls)" }}{{ end }}
{{- $_ := required "notifier.emailFrom is required in production (the email channel is on)" $n.emailFrom }}
{{- if and $n.smtp.username (not $n.existingSecret) }}
{{- $_ := required "notifier.smtp.password (or notifier.existingSecret with key smtp-password) is required with notifier.smtp.username" $n.smtp.password }}
{{- end }}
{{- end }}
{{- if has "sms" $channels }}
{{- if not (hasPrefix "https://" $n.sms.baseUrl) }}{{ fail "notifier.sms.baseUrl must be https in production (the sms channel is on)" }}{{ end }}
{{- $_ := required "notifier.sms.accountSid is required in production (the sms channel is on)" $n.sms.accountSid }}
{{- if not $n.existingSecret }}
{{- $_ := required "notifier.sms.authToken (or notifier.existingSecret with key sms-auth-token) is required in production" $n.sms.authToken }}
{{- end }}
{{- end }}
{{- if and (has "push" $channels) (not $n.existingSecret) }}
{{- $_ := required "notifier.push.signingSecret (or notifier.existingSecret with key push-signing-secret) is required in production (the push channel is on)" $n.push.signingSecret }}
{{- end }}
{{- if not (hasPrefix "https://" (include "penny.notifierPublicUrl" $)) }}{{ fail "notifier.publicUrl must be https in production" }}{{ end }}
{{- end }}
{{- if and $.Values.verification.enabled (not (hasPrefix "https://" (include "penny.webhookUrl" $))) }}
{{- fail "verification.webhookUrl must be https in production" }}
{{- end }}
{{- if not (has $.Values.database.sslmode (list "require" "verify-ca" "verify-full")) }}
{{- if not $.Values.database.existingSecret }}
{{- fail "database.sslmode must be require, verify-ca or verify-full in production" }}
{{- end }}
{{- end }}
{{- end }}
{{- /* Shutdown fits in the grace period. */}}
{{- $p := $.Values.pods }}
{{- if lt (int $p.terminationGracePeriodSeconds) (add (int $p.preStopSleepSeconds) (int $p.shutdownGraceSeconds) 5 | int) }}
{{- fail (printf "pods.terminationGracePeriodSeconds (%d) must be at least preStopSleepSeconds + shutdownGraceSeconds + 5 (%d)" (int $p.terminationGracePeriodSeconds) (add (int $p.preStopSleepSeconds) (int $p.shutdownGraceSeconds) 5)) }}
{{- end }}
{{- /* Stream replicas cannot exceed the servers. */}}
{{- if $.Values.nats.enabled }}
{{- $servers := 1 }}
{{- if $.Values.nats.config.cluster.enabled }}{{ $servers = int $.Values.nats.config.cluster.replicas }}{{ end }}
{{- if gt (int $.Values.streams.replicas) $servers }}
{{- fail (printf "streams.replicas (%d) exceeds the bundled NATS servers (%d)" (int $.Values.streams.replicas) $servers) }}
{{- end }}
{{- end }}
{{- /* Every replica KEDA may start must get messages: max_ack_pending covers them all. */}}
{{- $ver := $.Values.verification }}
{{- $verMax := int64 $ver.replicas }}
{{- if include "penny.kedaScaled" (list $ "verification") }}{{ $verMax = int64 (include "penny.verificationMaxReplicas" $) }}{{ end }}
{{- if lt (int64 $ver.consumer.maxAckPending) (mul $verMax (int64 $ver.consumer.concurrency)) }}
{{- fail (printf "verification.consumer.maxAckPending (%d) must be at least concurrency x max replicas (%d)" (int64 $ver.consumer.maxAckPending) (mul $verMax (int64 $ver.consumer.concurrency))) }}
{{- end }}
{{- $notMax := int64 $n.replicas }}
{{- if include "penny.kedaScaled" (list $ "notifier") }}{{ $notMax = int64 $n.autoscaling.maxReplicaCount }}{{ end }}
{{- if lt (int64 $n.consumer.maxAckPending) (mul $notMax (int64 $n.consumer.concurrency)) }}
{{- fail (printf "notifier.consumer.maxAckPending (%d) must be at least concurrency x max replicas (%d)" (int64 $n.consumer.maxAckPending) (mul $notMax (int64 $n.consumer.concurrency))) }}
{{- end }}
{{- if and $.Values.keda.enabled (lt (int $n.autoscaling.maxReplicaCount) (int $n.autoscaling.minReplicaCount)) }}
{{- fail "notifier.autoscaling.maxReplicaCount must be at least minReplicaCount" }}
{{- end }}
{{- end }}
