{{- define "reconciler.name" -}}{{ .Release.Name }}-reconciler{{- end -}}
{{- define "reconciler.labels" -}}
app.kubernetes.io/name: reconciler
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- /* Leader election: forced on, or Deployment mode with more than one replica; never for a DaemonSet. */ -}}
{{- define "reconciler.leaderElection" -}}
{{- if and (ne .Values.mode "DaemonSet") (or .Values.leaderElection.enabled (gt (int .Values.replicas) 1)) -}}true{{- end -}}
{{- end -}}
