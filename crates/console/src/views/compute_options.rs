//! The "Compute options" fieldset Run task and the service forms share, as the ECS console shows
//! it: the cluster's default, a launch type, or one of the cluster's capacity providers (its node
//! pools). The value posted is what `form_fields::compute` parses.

use kube_ecs_api::EcsCluster;
use maud::{Markup, html};

/// The capacity providers `cluster` offers (none when the user may not read the cluster: a run or
/// a service can still name the default).
pub fn providers(cluster: Option<&EcsCluster>) -> Vec<String> {
    cluster.map(|c| c.spec.node_pools.iter().map(|p| p.capacity_provider().to_string()).collect()).unwrap_or_default()
}

/// The fieldset, `selected` (`launch:<type>`, `provider:<name>` or empty) chosen.
pub fn fieldset(selected: &str, providers: &[String]) -> Markup {
    html! {
        fieldset {
            legend { "Compute options" }
            label for="compute" { "Launch type or capacity provider" }
            select #compute name="compute" {
                option value="" selected[selected.is_empty()] { "Cluster default" }
                @for lt in ["EC2", "FARGATE", "EXTERNAL"] {
                    @let value = format!("launch:{lt}");
                    option value=(value) selected[selected == value] { "Launch type " (lt) }
                }
                @for p in providers {
                    @let value = format!("provider:{p}");
                    option value=(value) selected[selected == value] { "Capacity provider " (p) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chosen_option_is_selected_and_a_provider_name_is_text() {
        let providers = vec!["real".to_string(), "<b>x</b>".to_string()];
        for (selected, expected) in [
            ("", r#"<option value="" selected>Cluster default"#),
            ("launch:FARGATE", r#"<option value="launch:FARGATE" selected>Launch type FARGATE"#),
            ("provider:real", r#"<option value="provider:real" selected>Capacity provider real"#),
        ] {
            let markup = fieldset(selected, &providers).into_string();
            assert!(markup.contains(expected), "{selected}: {markup}");
            assert_eq!(markup.matches(" selected>").count(), 1, "{selected}: {markup}");
            assert!(markup.contains("Capacity provider &lt;b&gt;x&lt;/b&gt;"), "{markup}");
        }
    }
}
