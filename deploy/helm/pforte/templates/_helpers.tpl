{{- define "pforte.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "pforte.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "pforte.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "pforte.secretName" -}}
{{- printf "%s-secrets" (include "pforte.fullname" .) -}}
{{- end -}}

{{/* The environment of every container: the Secret's values. */}}
{{- define "pforte.env" -}}
- name: PFORTE_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret | default (include "pforte.secretName" .) }}
      key: database-url
- name: PFORTE_MASTER_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.existingMasterKeySecret | default (include "pforte.secretName" .) }}
      key: master-key
{{- end -}}

{{- define "pforte.volumeMounts" -}}
- name: config
  mountPath: /etc/pforte
  readOnly: true
- name: data
  mountPath: /var/lib/pforte
{{- end -}}

{{- define "pforte.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}
