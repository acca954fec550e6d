//! The scheduler's "why not" as ECS's placement failure reasons.

use k8s_openapi::api::core::v1::Pod;

/// ECS-style reason for an unscheduled pod: `RESOURCE:CPU`, `RESOURCE:MEMORY`, `RESOURCE:PORTS`, or
/// the ATTRIBUTE / no-instances wording, from the PodScheduled=False message.
pub fn unschedulable_reason(pod: &Pod) -> Option<String> {
    let condition = pod
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False")?
        .clone();
    let message = condition.message.unwrap_or_default();
    Some(reason_from_message(&message))
}

/// Maps a scheduler message to ECS's wording.
pub fn reason_from_message(message: &str) -> String {
    let lower = message.to_lowercase();
    let mut reasons = Vec::new();
    if lower.contains("insufficient cpu") {
        reasons.push("RESOURCE:CPU");
    }
    if lower.contains("insufficient memory") {
        reasons.push("RESOURCE:MEMORY");
    }
    if lower.contains("free ports") {
        reasons.push("RESOURCE:PORTS");
    }
    if lower.contains("insufficient nvidia.com/gpu") {
        reasons.push("RESOURCE:GPU");
    }
    if !reasons.is_empty() {
        return format!("{} ({message})", reasons.join(", "));
    }
    if lower.contains("no nodes available") {
        return format!("No Container Instances were found in your cluster. ({message})");
    }
    format!("ATTRIBUTE: no container instance met all of its requirements ({message})")
}
