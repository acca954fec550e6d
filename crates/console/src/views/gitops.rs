//! GitOps-ready forms: what a form would apply, as the manifest to commit instead (shown on the page
//! or downloaded), and the read-only notice of an object a GitOps tool owns. Ownership is decided by
//! the domain's `gitops::owner`, the markers the ECS API refuses to write through, so the console and
//! the API agree on which objects belong to Git.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube_ecs_domain::gitops::{GitOpsOwner, owner};
use maud::{Markup, html};
use serde::Serialize;

use crate::error::{ConsoleError, Result};

/// What a form's submit button asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    /// Send it to the apiserver as the signed-in user.
    Apply,
    /// Show the manifest on the page, apply nothing.
    Show,
    /// Download the manifest as a file, apply nothing.
    Download,
}

impl Intent {
    /// The `intent` field of a form (the name of the button pressed); anything else applies.
    pub fn parse(value: &str) -> Self {
        match value {
            "manifest" => Self::Show,
            "download" => Self::Download,
            _ => Self::Apply,
        }
    }
}

/// Annotations a manifest for Git leaves out: they are written by tools, not by the user.
const TOOL_ANNOTATIONS: &[&str] = &["kubectl.kubernetes.io/last-applied-configuration"];

/// `object` as a manifest to commit: apiVersion, kind, the metadata a user writes (name, namespace,
/// labels, annotations) and the spec; never the status, UID, resourceVersion or managed fields.
pub fn manifest<K: Serialize>(object: &K) -> Result<serde_json::Value> {
    let mut value = serde_json::to_value(object).map_err(|e| ConsoleError::Invalid(e.to_string()))?;
    let Some(map) = value.as_object_mut() else { return Err(ConsoleError::Invalid("not an object".into())) };
    map.remove("status");
    if let Some(metadata) = map.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        metadata.retain(|k, _| matches!(k.as_str(), "name" | "namespace" | "labels" | "annotations"));
        if let Some(annotations) = metadata.get_mut("annotations").and_then(|a| a.as_object_mut()) {
            annotations.retain(|k, _| !TOOL_ANNOTATIONS.contains(&k.as_str()));
            if annotations.is_empty() {
                metadata.remove("annotations");
            }
        }
    }
    Ok(value)
}

/// The manifest as YAML (what a Git repository of manifests holds).
pub fn yaml(manifest: &serde_json::Value) -> Result<String> {
    serde_yaml::to_string(manifest).map_err(|e| ConsoleError::Invalid(e.to_string()))
}

/// The manifest as a file download, `<kind>-<name>.yaml`.
pub fn download(manifest: &serde_json::Value) -> Response {
    let text = match yaml(manifest) {
        Ok(text) => text,
        Err(e) => return (e.status(), e.to_string()).into_response(),
    };
    let kind = manifest["kind"].as_str().unwrap_or("object").to_ascii_lowercase();
    // The name is an object name the form checked; anything else is dropped from the file name.
    let name: String = manifest["metadata"]["name"]
        .as_str()
        .unwrap_or("manifest")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .collect();
    let mut response = ([(header::CONTENT_TYPE, "application/yaml; charset=utf-8")], text).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{kind}-{name}.yaml\"")) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The manifest shown under a form, instead of applying it.
pub fn shown(manifest: &serde_json::Value) -> Markup {
    let text = yaml(manifest).unwrap_or_else(|e| e.to_string());
    html! {
        section.manifest #manifest-section {
            h2 { "Manifest (not applied)" }
            p.muted { "Commit this file to the Git repository your GitOps tool syncs, or apply it with "
                code { "kubectl apply -f" } ". Nothing was sent to the cluster." }
            pre.json #manifest { (text) }
        }
    }
}

/// The GitOps tool that owns the object, if any.
pub fn owned_by(meta: &ObjectMeta) -> Option<GitOpsOwner> {
    owner(meta)
}

/// The notice of an object a GitOps tool owns: read-only here, change it in Git.
pub fn read_only(owner: &GitOpsOwner, what: &str) -> Markup {
    html! {
        p.warning #gitops-owned {
            strong { "Managed by " (owner.tool) } " (" (owner.evidence) "): " (what)
            " is read-only here — change it in Git. The console (like the ECS API) does not write objects a GitOps tool owns, "
            "so it never makes drift the tool would revert. The forms below can still produce the manifest to commit."
        }
    }
}

/// The three buttons of a GitOps-ready form; `apply` is left out when the object is Git's.
pub fn buttons(apply_label: &str, apply: bool) -> Markup {
    html! {
        div.form-buttons {
            @if apply { button.primary #submit-apply type="submit" name="intent" value="apply" { (apply_label) } }
            button #submit-manifest type="submit" name="intent" value="manifest" { "Show manifest" }
            button #submit-download type="submit" name="intent" value="download" { "Download manifest" }
        }
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn a_manifest_keeps_what_a_user_writes() {
        let object = serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "team-a", "uid": "x", "resourceVersion": "7",
                "managedFields": [{"manager": "kubectl"}], "labels": {"app": "web"},
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
            "spec": {"taskDefinition": "web"}, "status": {"runningCount": 1}});
        let expected = serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "team-a", "labels": {"app": "web"}},
            "spec": {"taskDefinition": "web"}});
        assert_eq!(manifest(&object).expect("manifest"), expected);
        assert!(yaml(&expected).expect("yaml").contains("kind: Service\n"));
    }

    #[test]
    fn the_manifest_and_the_notice_are_text() {
        let hostile = serde_json::json!({"kind": "Service", "metadata": {"name": "web"},
            "spec": {"tags": [{"key": "note", "value": "<script>alert(1)</script>"}]}});
        let markup = shown(&hostile).into_string();
        assert!(!markup.contains("<script>") && markup.contains("&lt;script&gt;"), "{markup}");
        let owner = GitOpsOwner { tool: "<b>x</b>".into(), evidence: "label <i>".into() };
        let markup = read_only(&owner, "This service").into_string();
        assert!(!markup.contains("<b>x") && !markup.contains("<i>"), "{markup}");
    }

    #[test]
    fn the_buttons_name_the_intent() {
        assert_eq!(Intent::parse("manifest"), Intent::Show);
        assert_eq!(Intent::parse("download"), Intent::Download);
        assert_eq!(Intent::parse(""), Intent::Apply);
        assert!(!buttons("Update", false).into_string().contains("submit-apply"));
    }
}
