{{- define "reconciler.name" -}}{{ .Release.Name }}-reconciler{{- end -}}
{{- define "reconciler.labels" -}}
app.kubernetes.io/name: reconciler
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
