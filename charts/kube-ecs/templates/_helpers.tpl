{{- define "kube-ecs.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kube-ecs.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kube-ecs.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kube-ecs.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kube-ecs.labels" -}}
{{ include "kube-ecs.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: kube-ecs
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- /* Where the ECS API's TLS Secret is mounted. */ -}}
{{- define "kube-ecs.ecsApi.tlsDir" -}}
/etc/kube-ecs/ecs-api-tls
{{- end -}}

{{- /* Fails the render on ECS API values the operator would refuse at startup. */ -}}
{{- define "kube-ecs.ecsApi.validate" -}}
{{- if .Values.ecsApi.enabled -}}
{{- if not .Values.ecsApi.tls.secretName -}}
{{- fail "ecsApi.tls.secretName is required when ecsApi.enabled is true: the operator serves the ECS API over plain HTTP on loopback only, so in a Pod it needs TLS. Create a kubernetes.io/tls Secret in the release namespace (kubectl create secret tls <name> --cert=... --key=... -n <namespace>) and set ecsApi.tls.secretName=<name>" -}}
{{- end -}}
{{- if not (regexMatch "^[0-9]{12}$" (toString .Values.ecsApi.account)) -}}
{{- fail (printf "ecsApi.account must be a 12-digit AWS account ID (quoted in a values file), got %q" (toString .Values.ecsApi.account)) -}}
{{- end -}}
{{- if not (regexMatch "^[a-z0-9-]+$" (toString .Values.ecsApi.region)) -}}
{{- fail (printf "ecsApi.region must look like an AWS region (us-east-1), got %q" (toString .Values.ecsApi.region)) -}}
{{- end -}}
{{- $port := int .Values.ecsApi.port -}}
{{- if or (lt $port 1) (gt $port 65535) (eq $port (int .Values.metrics.port)) -}}
{{- fail (printf "ecsApi.port must be a TCP port other than metrics.port, got %v" .Values.ecsApi.port) -}}
{{- end -}}
{{- end -}}
{{- end -}}
