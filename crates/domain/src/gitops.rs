//! Whether a GitOps tool owns an object. The ECS API refuses to write such objects: a change made
//! through the API would be drift that the tool reverts (or fights) on its next sync, so the change
//! belongs in Git. kubectl is not affected; it is the GitOps tool's own business to catch that.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::labels::GITOPS_ANNOTATION;

/// The tool that owns an object and the marker that says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitOpsOwner {
    pub tool: String,
    pub evidence: String,
}

/// Annotations and labels that GitOps tools put on what they apply: (kind of marker, key, value
/// required or any, tool).
const MARKERS: &[(Marker, &str, Option<&str>, &str)] = &[
    (Marker::Annotation, "argocd.argoproj.io/tracking-id", None, "Argo CD"),
    (Marker::Label, "argocd.argoproj.io/instance", None, "Argo CD"),
    (Marker::Label, "kustomize.toolkit.fluxcd.io/name", None, "Flux"),
    (Marker::Label, "helm.toolkit.fluxcd.io/name", None, "Flux"),
    (Marker::Label, "app.kubernetes.io/managed-by", Some("Helm"), "Helm"),
];

/// Field managers of tools that apply from Git with server-side apply.
const MANAGERS: &[(&str, &str)] =
    &[("argocd-controller", "Argo CD"), ("kustomize-controller", "Flux"), ("helm-controller", "Flux")];

#[derive(Clone, Copy)]
enum Marker {
    Annotation,
    Label,
}

/// The GitOps tool that owns the object, if any: kube-ecs's own annotation first (any tool, named by
/// its value), then the markers of Argo CD, Flux and Helm, then their field managers.
pub fn owner(meta: &ObjectMeta) -> Option<GitOpsOwner> {
    let annotations = meta.annotations.as_ref();
    let labels = meta.labels.as_ref();
    let own =
        annotations.and_then(|a| a.get(GITOPS_ANNOTATION)).or_else(|| labels.and_then(|l| l.get(GITOPS_ANNOTATION)));
    if let Some(tool) = own.filter(|t| !t.trim().is_empty() && t.as_str() != "false") {
        return Some(GitOpsOwner { tool: tool.clone(), evidence: format!("annotation {GITOPS_ANNOTATION}={tool}") });
    }
    for (marker, key, value, tool) in MARKERS {
        let (map, what) = match marker {
            Marker::Annotation => (annotations, "annotation"),
            Marker::Label => (labels, "label"),
        };
        if let Some(found) = map.and_then(|m| m.get(*key))
            && value.is_none_or(|v| v == found)
        {
            return Some(GitOpsOwner { tool: (*tool).into(), evidence: format!("{what} {key}") });
        }
    }
    let managers = meta.managed_fields.iter().flatten().filter_map(|m| m.manager.as_deref());
    for manager in managers {
        if let Some((_, tool)) = MANAGERS.iter().find(|(m, _)| *m == manager) {
            return Some(GitOpsOwner { tool: (*tool).into(), evidence: format!("field manager {manager}") });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(value: serde_json::Value) -> ObjectMeta {
        serde_json::from_value(value).expect("metadata")
    }

    #[test]
    fn owners() {
        let cases = [
            (serde_json::json!({}), None),
            (serde_json::json!({"annotations": {"ecs.kube-ecs.dev/gitops": "Config Sync"}}), Some("Config Sync")),
            (serde_json::json!({"annotations": {"ecs.kube-ecs.dev/gitops": "false"}}), None),
            (
                serde_json::json!({"annotations": {"argocd.argoproj.io/tracking-id": "app:ecs.kube-ecs.dev/Service:ns/web"}}),
                Some("Argo CD"),
            ),
            (serde_json::json!({"labels": {"kustomize.toolkit.fluxcd.io/name": "apps"}}), Some("Flux")),
            (serde_json::json!({"labels": {"app.kubernetes.io/managed-by": "Helm"}}), Some("Helm")),
            (serde_json::json!({"labels": {"app.kubernetes.io/managed-by": "kube-ecs"}}), None),
            (serde_json::json!({"managedFields": [{"manager": "kubectl"}]}), None),
            (
                serde_json::json!({"managedFields": [{"manager": "kubectl"}, {"manager": "argocd-controller"}]}),
                Some("Argo CD"),
            ),
        ];
        for (metadata, expected) in cases {
            let found = owner(&meta(metadata.clone()));
            assert_eq!(found.as_ref().map(|o| o.tool.as_str()), expected, "{metadata}");
        }
        let evidence =
            owner(&meta(serde_json::json!({"labels": {"helm.toolkit.fluxcd.io/name": "x"}}))).unwrap().evidence;
        assert_eq!(evidence, "label helm.toolkit.fluxcd.io/name");
    }
}
