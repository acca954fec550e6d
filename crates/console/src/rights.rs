//! What the signed-in identity may do, asked of the apiserver (SelfSubjectAccessReview), so a page
//! hides the buttons RBAC would refuse. Only a courtesy: the write itself is still sent as the
//! identity, and the apiserver's answer is what counts.

use k8s_openapi::api::authorization::v1::{ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec};
use kube::api::{Api, PostParams};

/// The actions the pages offer, for one namespace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rights {
    /// `create` on tasks: Run task.
    pub run_tasks: bool,
    /// `patch` on tasks: Stop (desiredStatus STOPPED).
    pub stop_tasks: bool,
}

impl Rights {
    /// Asks both questions at once; an unanswered question counts as "no" (the button is hidden,
    /// the apiserver would still decide if the request were forced).
    pub async fn in_namespace(client: &kube::Client, namespace: &str) -> Self {
        let (run_tasks, stop_tasks) =
            futures::join!(allowed(client, namespace, "create", "tasks"), allowed(client, namespace, "patch", "tasks"));
        Self { run_tasks, stop_tasks }
    }
}

/// Whether the identity may `verb` the kube-ecs `resource` in `namespace` (no answer: no).
pub async fn allowed(client: &kube::Client, namespace: &str, verb: &str, resource: &str) -> bool {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                group: Some(kube_ecs_api::GROUP.to_string()),
                namespace: Some(namespace.to_string()),
                resource: Some(resource.to_string()),
                verb: Some(verb.to_string()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    match Api::<SelfSubjectAccessReview>::all(client.clone()).create(&PostParams::default(), &review).await {
        Ok(answer) => answer.status.is_some_and(|s| s.allowed),
        Err(e) => {
            tracing::debug!(error = %e, verb, resource, "SelfSubjectAccessReview failed: the action is hidden");
            false
        }
    }
}
