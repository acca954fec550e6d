//! Hardening for the `restricted` level: the settings the level requires that an ECS task definition
//! has no field for (seccomp, privilege escalation, dropped capabilities, non-root), filled in where
//! the task left them open. Without this every ECS task would be refused in a restricted namespace;
//! with it, only tasks that ask for something restricted forbids are.

use k8s_openapi::api::core::v1::{Capabilities, PodSecurityContext, PodSpec, SeccompProfile};

/// Fills in what `restricted` requires and the task did not decide itself.
pub fn restricted(spec: &mut PodSpec) {
    let pod = spec.security_context.get_or_insert_with(PodSecurityContext::default);
    pod.seccomp_profile.get_or_insert_with(|| SeccompProfile { type_: "RuntimeDefault".into(), ..Default::default() });
    // A task that names a user decides for itself (user 0 is then refused by the check).
    pod.run_as_non_root.get_or_insert(true);
    for container in spec.init_containers.iter_mut().flatten().chain(spec.containers.iter_mut()) {
        let security = container.security_context.get_or_insert_with(Default::default);
        // A privileged container cannot turn escalation off (the API server refuses the pair); it stays
        // a violation unless the cluster allows privileged containers.
        if security.privileged != Some(true) {
            security.allow_privilege_escalation.get_or_insert(false);
        }
        let capabilities = security.capabilities.get_or_insert_with(Capabilities::default);
        let drop = capabilities.drop.get_or_insert_with(Vec::new);
        if !drop.iter().any(|c| c == "ALL") {
            drop.push("ALL".into());
        }
    }
}
