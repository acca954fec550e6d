//! Labels, annotations and finalizers the controllers put on the objects they own.

/// On a ControllerRevision: the TaskDefinition (object name) whose revision it snapshots.
pub const TASK_DEFINITION_NAME: &str = "ecs.kube-ecs.dev/task-definition-name";
/// On a ControllerRevision: hash of the snapshotted spec, to tell whether the spec changed.
pub const SPEC_HASH: &str = "ecs.kube-ecs.dev/spec-hash";
/// On a ControllerRevision: the family.
pub const FAMILY_ANNOTATION: &str = "ecs.kube-ecs.dev/family";
/// On a Task's Pod: the Task's name (selects the Pods the Task controller watches).
pub const TASK_NAME: &str = "ecs.kube-ecs.dev/task";
/// On a Service's pods and children: the Service's name.
pub const SERVICE_NAME: &str = "ecs.kube-ecs.dev/service";
/// On every object kube-ecs creates.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// Value of `MANAGED_BY`.
pub const MANAGED_BY_VALUE: &str = "kube-ecs";
/// Finalizer on a Task's Pod: the Pod is not gone until its final container states are recorded on
/// the Task, so exit codes survive whoever deletes the Pod.
pub const TASK_RECORD_FINALIZER: &str = "ecs.kube-ecs.dev/task-record";

/// Annotation on a Service's pods: the ECS Service object's name (its label may be shortened).
pub const SERVICE_NAME_ANNOTATION: &str = "ecs.kube-ecs.dev/service-name";
/// Label on pods: the family (sanitized).
pub const FAMILY_LABEL: &str = "ecs.kube-ecs.dev/family";
/// Label on pods: the revision number.
pub const REVISION_LABEL: &str = "ecs.kube-ecs.dev/revision";
/// Label on a service's pods naming the task-definition revision they run (`family.revision`).
pub const SERVICE_REVISION_LABEL: &str = "ecs.kube-ecs.dev/service-revision";
/// Label on a Task's Pod: its ECS task group (`distinctInstance` keeps a group's pods apart).
pub const TASK_GROUP_LABEL: &str = "ecs.kube-ecs.dev/group";
/// Annotation on pods and on a service's Deployment/DaemonSet: the `family:revision` they run.
pub const TASK_DEFINITION_ANNOTATION: &str = "ecs.kube-ecs.dev/task-definition";
/// Annotation on pods: JSON map Kubernetes container name -> ECS container name.
pub const CONTAINER_NAMES_ANNOTATION: &str = "ecs.kube-ecs.dev/container-names";
/// Annotation on pods: the task role ARN.
pub const TASK_ROLE_ANNOTATION: &str = "ecs.kube-ecs.dev/task-role-arn";
/// Annotation on a Task's Pod: the record later reconciles read the task's shape from.
pub const POD_RECORD_ANNOTATION: &str = "ecs.kube-ecs.dev/task-record";
/// Prefix of pod annotations carrying dockerLabels.
pub const DOCKER_LABEL_PREFIX: &str = "docker-label.ecs.kube-ecs.dev/";
/// Annotation (or label) a user puts on an object that a GitOps tool owns, naming the tool: the ECS
/// API then refuses to write it (the GitOps markers Argo CD, Flux and Helm set are recognised too).
pub const GITOPS_ANNOTATION: &str = "ecs.kube-ecs.dev/gitops";
/// Annotation on a Service: a new value starts a new deployment of the same revision (ECS's
/// UpdateService forceNewDeployment; the ECS API sets it to the time of the request).
pub const FORCE_NEW_DEPLOYMENT_ANNOTATION: &str = "ecs.kube-ecs.dev/force-new-deployment";
/// Label on the Tasks a RunTask made and on the Service a CreateService made: a hash of the call's
/// `clientToken`, so a retried call finds what the first one made instead of making it again.
pub const CLIENT_TOKEN_LABEL: &str = "ecs.kube-ecs.dev/client-token";
/// The annotation EKS uses to bind a ServiceAccount to an IAM role (IRSA).
pub const IRSA_ANNOTATION: &str = "eks.amazonaws.com/role-arn";

/// `name` as a label value. Names that are valid label values (at most 63 of `[A-Za-z0-9._-]`,
/// alphanumeric at both ends) are kept as they are; any other (longer ECS names: ECS allows 255
/// characters where Kubernetes allows 63) becomes its head and a hash of the whole name, so two names
/// never share a value. Label selectors use the same function, so both sides agree.
pub fn value(name: &str) -> String {
    let valid = |s: &str| {
        s.len() <= 63
            && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric())
    };
    if name.is_empty() || valid(name) {
        return name.to_string();
    }
    shortened(name, 63, |c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// `base` + `suffix` as an object name of at most `max` characters: unchanged when it fits, else
/// the head of `base`, a hash of `base` and the suffix (child objects of long-named ECS objects).
pub fn child_name(base: &str, suffix: &str, max: usize) -> String {
    let whole = format!("{base}{suffix}");
    if whole.len() <= max {
        return whole;
    }
    let head = shortened(base, max.saturating_sub(suffix.len()), |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'
    });
    format!("{head}{suffix}")
}

/// At most `max` characters: the head of `name` (only `allowed` characters, alphanumeric at its end)
/// and the first 10 hex digits of its SHA-256.
fn shortened(name: &str, max: usize, allowed: impl Fn(char) -> bool) -> String {
    use sha2::Digest as _;
    let hash = &hex::encode(sha2::Sha256::digest(name.as_bytes()))[..10];
    let keep = max.saturating_sub(hash.len() + 1);
    let head: String = name.chars().map(|c| if allowed(c) { c } else { '-' }).take(keep).collect();
    let head = head.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    let head = head.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
    if head.is_empty() { format!("x{hash}") } else { format!("{head}-{hash}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_ecs_names_become_distinct_valid_label_values() {
        assert_eq!(value("web"), "web");
        assert_eq!(value("My_Family.v2"), "My_Family.v2");
        let long_a = format!("{}a", "x".repeat(254));
        let long_b = format!("{}b", "x".repeat(254));
        let (a, b) = (value(&long_a), value(&long_b));
        assert_ne!(a, b, "names differing only past 63 characters stay apart");
        for v in [&a, &b, &value("-leading"), &value("has space")] {
            assert!(v.len() <= 63, "{v}");
            assert_eq!(value(v), *v, "a shortened value is itself a valid value: {v}");
        }
    }

    #[test]
    fn child_names_fit_their_limit() {
        assert_eq!(child_name("web", "-3", 253), "web-3");
        let long = "a".repeat(253);
        let name = child_name(&long, "-123456789", 253);
        assert!(name.len() <= 253 && name.ends_with("-123456789"), "{name}");
        assert_ne!(name, child_name(&format!("{}b", "a".repeat(252)), "-123456789", 253));
        let svc = child_name(&long, "", 63);
        assert!(svc.len() <= 63 && svc.starts_with('a'), "{svc}");
    }
}
