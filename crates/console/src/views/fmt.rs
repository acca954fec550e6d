//! Small formatting helpers shared by the views: times, ECS vocabulary, absent values, status badges.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use maud::{Markup, html};

/// What an absent value shows (the ECS console shows a dash).
pub const NONE: &str = "-";

/// A time as the ECS console shows it, in UTC.
pub fn time(t: Option<&Time>) -> String {
    t.map_or_else(|| NONE.to_string(), |t| t.0.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
}

/// An ECS enum (or any serializable value) as its wire word: `RUNNING`, `EC2`, `ENABLED`.
pub fn word<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => NONE.to_string(),
    }
}

/// An optional value's text, or a dash.
pub fn opt<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| NONE.to_string(), |v| v.to_string())
}

/// An optional ECS word, or a dash.
pub fn opt_word<T: serde::Serialize>(value: Option<&T>) -> String {
    value.map_or_else(|| NONE.to_string(), word)
}

/// A status word in a coloured badge: the class is chosen from a closed list, never from the text.
pub fn badge(status: &str) -> Markup {
    let class = match status {
        "RUNNING" | "ACTIVE" | "HEALTHY" | "COMPLETED" | "ENABLED" | "PRIMARY" => "badge ok",
        "STOPPED" | "INACTIVE" | "UNHEALTHY" | "FAILED" | "DISABLED" => "badge stopped",
        "PENDING" | "PROVISIONING" | "ACTIVATING" | "DEACTIVATING" | "STOPPING" | "DEPROVISIONING" | "IN_PROGRESS"
        | "DRAINING" => "badge pending",
        _ => "badge",
    };
    html! { span class=(class) { (status) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_badge_escapes_its_text_and_picks_its_class_from_a_list() {
        let markup = badge("<script>alert(1)</script>").into_string();
        assert_eq!(markup, r#"<span class="badge">&lt;script&gt;alert(1)&lt;/script&gt;</span>"#);
    }

    #[test]
    fn ecs_words_are_the_wire_words() {
        assert_eq!(word(&kube_ecs_api::ecs::DesiredStatus::Stopped), "STOPPED");
        assert_eq!(opt_word::<kube_ecs_api::ecs::DesiredStatus>(None), NONE);
    }
}
