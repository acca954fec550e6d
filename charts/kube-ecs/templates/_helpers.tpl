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

{{- /* Where the console's TLS Secret is mounted. */ -}}
{{- define "kube-ecs.console.tlsDir" -}}
/etc/kube-ecs/console-tls
{{- end -}}

{{- define "kube-ecs.console.validate" -}}
{{- if .Values.console.enabled -}}
{{- if not (or .Values.console.tls.secretName .Values.console.allowPlainHttp) -}}
{{- fail "console.tls.secretName or console.allowPlainHttp=true is required when console.enabled is true: its users send bearer tokens, so give the console a certificate (a kubernetes.io/tls Secret: kubectl create secret tls <name> --cert=... --key=... -n <namespace>), or terminate TLS in front of its Service (an Ingress) and acknowledge it, or leave it off and use `kube-ecs console` on your machine" -}}
{{- end -}}
{{- $port := int .Values.console.port -}}
{{- if or (lt $port 1) (gt $port 65535) (eq $port (int .Values.metrics.port)) (and .Values.ecsApi.enabled (eq $port (int .Values.ecsApi.port))) (and .Values.ecr.enabled (eq $port (int .Values.ecr.front.port))) -}}
{{- fail (printf "console.port must be a TCP port other than the metrics, ECS API and ECR front ports, got %v" .Values.console.port) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* ECR: the registry the chart deploys (unless ecr.registry.external.url names one). */ -}}
{{- define "kube-ecs.ecr.registry.deployed" -}}
{{- if and .Values.ecr.enabled (not .Values.ecr.registry.external.url) -}}true{{- end -}}
{{- end -}}

{{- define "kube-ecs.ecr.registry.name" -}}
{{- printf "%s-ecr-registry" (include "kube-ecs.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- /* The registry's Pods must not carry the operator's selector labels (its Services and PDB). */ -}}
{{- define "kube-ecs.ecr.registry.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}-ecr-registry
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kube-ecs.ecr.registry.labels" -}}
{{ include "kube-ecs.ecr.registry.selectorLabels" . }}
app.kubernetes.io/component: ecr-registry
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: kube-ecs
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- /* The Secret holding `credentials` (user:password) and, for the deployed registry, `htpasswd`. */ -}}
{{- define "kube-ecs.ecr.registry.authSecret" -}}
{{- if .Values.ecr.registry.external.url -}}
{{- .Values.ecr.registry.external.credentialsSecret -}}
{{- else -}}
{{- default (printf "%s-auth" (include "kube-ecs.ecr.registry.name" .)) .Values.ecr.registry.auth.existingSecret -}}
{{- end -}}
{{- end -}}

{{- /* The deployed registry's node user (the read-only reader's): `credentials` (node:password) and `htpasswd`. */ -}}
{{- define "kube-ecs.ecr.registry.nodeSecret" -}}
{{- default (printf "%s-nodes" (include "kube-ecs.ecr.registry.name" .)) .Values.ecr.registry.auth.existingNodeSecret -}}
{{- end -}}

{{- /* The registry under, as the operator reaches it. */ -}}
{{- define "kube-ecs.ecr.registry.url" -}}
{{- if .Values.ecr.registry.external.url -}}
{{- .Values.ecr.registry.external.url | trimSuffix "/" -}}
{{- else -}}
{{- printf "http://%s.%s.svc:%d" (include "kube-ecs.ecr.registry.name" .) .Release.Namespace (int .Values.ecr.registry.port) -}}
{{- end -}}
{{- end -}}

{{- /* The registry's name in image references. */ -}}
{{- define "kube-ecs.ecr.registryHost" -}}
{{- default (printf "%s.dkr.ecr.%s.amazonaws.com" (toString .Values.ecsApi.account) (toString .Values.ecsApi.region)) .Values.ecr.registryHost -}}
{{- end -}}

{{- /* Where the registry's credentials file is mounted in the operator's Pods. */ -}}
{{- define "kube-ecs.ecr.credentialsDir" -}}
/etc/kube-ecs/ecr-registry
{{- end -}}

{{- /* Fails the render on ECR values the operator would refuse, or that could not work. */ -}}
{{- define "kube-ecs.ecr.validate" -}}
{{- if .Values.ecr.enabled -}}
{{- if not .Values.ecsApi.enabled -}}
{{- fail "ecr.enabled needs ecsApi.enabled=true: clients log in to the registry with GetAuthorizationToken and manage repositories with ECR's API, both served by the ECS API endpoint (set ecsApi.enabled=true and ecsApi.tls.secretName)" -}}
{{- end -}}
{{- if not .Values.ecr.proxyEndpoint -}}
{{- fail (printf "ecr.proxyEndpoint is required when ecr.enabled is true: the https:// URL users push to and log in to (GetAuthorizationToken answers it as proxyEndpoint), served by the Ingress or TLS load balancer in front of the Service %s-ecr-front, e.g. ecr.proxyEndpoint=https://ecr.example.com" (include "kube-ecs.fullname" .)) -}}
{{- end -}}
{{- if not (regexMatch "^https://[^/]+/?$" (toString .Values.ecr.proxyEndpoint)) -}}
{{- fail (printf "ecr.proxyEndpoint must be an https:// URL with no path (the registry's address users push to), got %q" (toString .Values.ecr.proxyEndpoint)) -}}
{{- end -}}
{{- if ne (toString .Values.ecr.front.allowPlainHttp) "true" -}}
{{- fail (printf "ecr.front.allowPlainHttp=true is required when ecr.enabled is true: the registry front serves plain HTTP on 0.0.0.0:%v and clients send their ECR token as a password, so TLS must be terminated in front of the Service %s-ecr-front (an Ingress or a TLS load balancer answering at ecr.proxyEndpoint); set ecr.front.allowPlainHttp=true to acknowledge that it is" .Values.ecr.front.port (include "kube-ecs.fullname" .)) -}}
{{- end -}}
{{- $port := int .Values.ecr.front.port -}}
{{- if or (lt $port 1) (gt $port 65535) (eq $port (int .Values.metrics.port)) (eq $port (int .Values.ecsApi.port)) -}}
{{- fail (printf "ecr.front.port must be a TCP port other than metrics.port and ecsApi.port, got %v" .Values.ecr.front.port) -}}
{{- end -}}
{{- with .Values.ecr.registryHost -}}
{{- if not (regexMatch "^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?$" (toString .)) -}}
{{- fail (printf "ecr.registryHost must be a host name (no scheme, no path), got %q" (toString .)) -}}
{{- end -}}
{{- end -}}
{{- with .Values.ecr.registry.external.url -}}
{{- if not (regexMatch "^http://[^/]+/?$" (toString .)) -}}
{{- fail (printf "ecr.registry.external.url must be http://host:port (the operator reaches the registry under over plain HTTP, inside the cluster), got %q" (toString .)) -}}
{{- end -}}
{{- end -}}
{{- if include "kube-ecs.ecr.registry.deployed" . -}}
{{- $port := int .Values.ecr.registry.port -}}
{{- $readerPort := int .Values.ecr.registry.readerPort -}}
{{- if or (lt $readerPort 1) (gt $readerPort 65535) (eq $readerPort $port) -}}
{{- fail (printf "ecr.registry.readerPort must be a TCP port other than ecr.registry.port (%v): the read-only registry the nodes pull from listens beside the registry in the same Pod, got %v" .Values.ecr.registry.port .Values.ecr.registry.readerPort) -}}
{{- end -}}
{{- if and .Values.ecr.registry.auth.existingSecret (not .Values.ecr.registry.auth.existingNodeSecret) -}}
{{- fail "ecr.registry.auth.existingNodeSecret is required with ecr.registry.auth.existingSecret: the nodes pull with a read-only user of their own, which the chart would otherwise generate anew on every render that cannot look its Secret up (helm template). Create a Secret with keys credentials (node:<password>) and htpasswd (htpasswd -nbB node <password>) and set ecr.registry.auth.existingNodeSecret=<name> (docs/ecr.md, \"The registry's passwords\")" -}}
{{- end -}}
{{- end -}}
{{- range $name, $value := dict "ecr.lifecyclePeriodSeconds" .Values.ecr.lifecyclePeriodSeconds "ecr.refreshPeriodSeconds" .Values.ecr.refreshPeriodSeconds -}}
{{- if lt (int64 $value) 1 -}}
{{- fail (printf "%s must be a number of seconds, at least 1, got %v" $name $value) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* The registry's data volume (its only writable path). */ -}}
{{- define "kube-ecs.ecr.registry.dataDir" -}}
/var/lib/registry
{{- end -}}

{{- /* The registry's config.yml (CNCF distribution v3). */ -}}
{{- define "kube-ecs.ecr.registry.config" -}}
version: 0.1
log:
  level: {{ .Values.ecr.registry.logLevel }}
  formatter: text
storage:
  filesystem:
    rootdirectory: {{ include "kube-ecs.ecr.registry.dataDir" . }}
  delete:
    enabled: true
http:
  addr: :{{ int .Values.ecr.registry.port }}
  relativeurls: true
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: kube-ecs-ecr
    path: /etc/distribution/auth/htpasswd
{{- end -}}

{{- /* The reader's config.yml: the same storage, read-only (no pushes, no deletes, no upload purging:
its volume is mounted read-only and the registry owns the uploads), its own htpasswd (the node user). */ -}}
{{- define "kube-ecs.ecr.registry.readerConfig" -}}
version: 0.1
log:
  level: {{ .Values.ecr.registry.logLevel }}
  formatter: text
storage:
  filesystem:
    rootdirectory: {{ include "kube-ecs.ecr.registry.dataDir" . }}
  delete:
    enabled: false
  maintenance:
    readonly:
      enabled: true
    uploadpurging:
      enabled: false
http:
  addr: :{{ int .Values.ecr.registry.readerPort }}
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: kube-ecs-ecr-nodes
    path: /etc/distribution/auth/htpasswd
{{- end -}}
