//! Task security as ECS users meet it: task definitions in, refusal messages (or a hardened Pod) out.

use serde_json::{Value, json};

use super::policy::{SecurityInputs, host_path_allowed, reasons, secure};
use crate::api::task_definition::TaskDefinitionSpec;
use crate::api::task_security::{PodSecurityLevel, TaskSecurityPolicy};
use crate::translate::{self, Placement, PodInputs, PodPurpose};

fn app(extra: Value) -> Value {
    let mut container = json!({"name": "app", "image": "busybox", "memory": 64});
    if let (Some(c), Some(extra)) = (container.as_object_mut(), extra.as_object()) {
        c.extend(extra.clone());
    }
    json!({"containerDefinitions": [container]})
}

/// Translates `definition` and runs the decision; returns the refusal (reason, message) or the Pod.
fn decide(
    definition: Value,
    policy: Value,
    namespace_level: Option<PodSecurityLevel>,
) -> Result<k8s_openapi::api::core::v1::PodSpec, (&'static str, String)> {
    let td: TaskDefinitionSpec = serde_json::from_value(definition).expect("task definition");
    let policy: TaskSecurityPolicy = serde_json::from_value(policy).expect("policy");
    let placement = Placement::default();
    let translated = translate::pod_template(&PodInputs {
        task_definition: &td,
        task_definition_ref: "app:1",
        overrides: None,
        placement: &placement,
        purpose: PodPurpose::Task,
    })
    .expect("translation");
    let mut spec = translated.template.spec.expect("pod spec");
    let inputs = SecurityInputs {
        cluster: "prod",
        policy: &policy,
        namespace: "team-a",
        namespace_level,
        task_definition: &td,
        containers: &translated.containers,
    };
    secure(&mut spec, &inputs).map(|()| spec).map_err(|r| (r.reason, r.message))
}

fn refused(definition: Value, policy: Value, namespace_level: Option<PodSecurityLevel>) -> (&'static str, String) {
    match decide(definition, policy, namespace_level) {
        Ok(spec) => panic!("expected a refusal, the pod was allowed: {spec:#?}"),
        Err(refusal) => refusal,
    }
}

#[test]
fn an_ordinary_task_runs_under_the_default_policy() {
    assert!(decide(app(json!({"portMappings": [{"containerPort": 80}]})), json!({}), None).is_ok());
}

#[test]
fn the_default_policy_refuses_root_on_the_node_naming_every_field_and_setting() {
    let definition = json!({
        "networkMode": "host", "pidMode": "host",
        "volumes": [{"name": "root", "host": {"sourcePath": "/"}}],
        "containerDefinitions": [{
            "name": "app", "image": "busybox", "memory": 64, "privileged": true,
            "linuxParameters": {"capabilities": {"add": ["SYS_ADMIN", "NET_ADMIN", "CHOWN"]}},
            "mountPoints": [{"sourceVolume": "root", "containerPath": "/host"}]
        }]
    });
    let (reason, message) = refused(definition, json!({}), None);
    assert_eq!(reason, reasons::TASK_SECURITY_POLICY);
    for expected in [
        "the task security policy of cluster \"prod\" (level \"baseline\") refuses this task",
        "containerDefinitions[name=app].privileged: true: privileged containers are not allowed (allowed by EcsCluster \"prod\" spec.taskSecurity.allowPrivileged: true)",
        "networkMode: host: host networking is not allowed (hostNetwork) (allowed by EcsCluster \"prod\" spec.taskSecurity.allowHostNetwork: true)",
        "pidMode: host",
        "spec.taskSecurity.allowHostPID: true",
        "volumes[name=root].host.sourcePath: /: hostPath volumes are not allowed",
        "spec.taskSecurity.allowedHostPaths: [/]",
        "capabilities.add: SYS_ADMIN",
        "spec.taskSecurity.allowedCapabilities: [NET_ADMIN]",
    ] {
        assert!(message.contains(expected), "{expected:?} missing from: {message}");
    }
    assert!(!message.contains("add: CHOWN"), "CHOWN is in baseline's list: {message}");
}

#[test]
fn a_cluster_can_allow_each_exception() {
    let definition = json!({
        "networkMode": "host", "pidMode": "host", "ipcMode": "host",
        "volumes": [{"name": "logs", "host": {"sourcePath": "/var/log/app"}}],
        "containerDefinitions": [{
            "name": "app", "image": "busybox", "memory": 64, "privileged": true,
            "portMappings": [{"containerPort": 8080}],
            "systemControls": [{"namespace": "net.core.somaxconn", "value": "1024"}],
            "linuxParameters": {"capabilities": {"add": ["NET_ADMIN"]}},
            "mountPoints": [{"sourceVolume": "logs", "containerPath": "/logs"}]
        }]
    });
    let policy = json!({
        "allowPrivileged": true, "allowHostNetwork": true, "allowHostPID": true, "allowHostIPC": true,
        "allowedHostPaths": ["/var/log"], "allowedCapabilities": ["NET_ADMIN"], "allowedSysctls": ["net.core.somaxconn"]
    });
    assert!(decide(definition.clone(), policy, None).is_ok());
    assert!(decide(definition, json!({"level": "privileged"}), None).is_ok());
}

#[test]
fn host_paths_are_allowed_by_whole_directory_prefixes_only() {
    let prefixes = vec!["/var/log".to_string()];
    assert!(host_path_allowed("/var/log", &prefixes));
    assert!(host_path_allowed("/var/log/app/", &prefixes));
    assert!(!host_path_allowed("/var/logs", &prefixes));
    assert!(!host_path_allowed("/var/log/../../etc", &prefixes));
    assert!(!host_path_allowed("var/log", &prefixes));
    assert!(host_path_allowed("/etc", &["/".to_string()]));

    let definition = json!({
        "volumes": [{"name": "etc", "host": {"sourcePath": "/etc"}}],
        "containerDefinitions": [{"name": "app", "image": "busybox", "memory": 64,
            "mountPoints": [{"sourceVolume": "etc", "containerPath": "/etc-host"}]}]
    });
    let (_, message) = refused(definition, json!({"allowedHostPaths": ["/var/log"]}), None);
    assert!(message.contains("volumes[name=etc].host.sourcePath: /etc"), "{message}");
}

#[test]
fn a_host_port_is_refused_unless_allowed_and_dynamic_ports_are_fine() {
    let fixed = app(json!({"portMappings": [{"containerPort": 80, "hostPort": 8080}]}));
    let (_, message) = refused(fixed.clone(), json!({}), None);
    assert!(message.contains("containerDefinitions[name=app].portMappings.hostPort: 8080"), "{message}");
    assert!(message.contains("allowHostPorts: true"), "{message}");
    assert!(decide(fixed, json!({"allowHostPorts": true}), None).is_ok());
    assert!(decide(app(json!({"portMappings": [{"containerPort": 80, "hostPort": 0}]})), json!({}), None).is_ok());
}

#[test]
fn an_unsafe_sysctl_is_refused_and_a_safe_one_runs() {
    let sysctl = |name: &str| app(json!({"systemControls": [{"namespace": name, "value": "1"}]}));
    let (_, message) = refused(sysctl("net.core.somaxconn"), json!({}), None);
    assert!(message.contains("systemControls: net.core.somaxconn"), "{message}");
    assert!(decide(sysctl("net.ipv4.tcp_syncookies"), json!({}), None).is_ok());
}

#[test]
fn restricted_clusters_harden_tasks_and_refuse_root() {
    let spec = decide(app(json!({})), json!({"level": "restricted"}), None).expect("allowed, hardened");
    let pod = spec.security_context.expect("pod security context");
    assert_eq!(pod.run_as_non_root, Some(true));
    assert_eq!(pod.seccomp_profile.map(|s| s.type_).as_deref(), Some("RuntimeDefault"));
    let container = spec.containers[0].security_context.clone().expect("container security context");
    assert_eq!(container.allow_privilege_escalation, Some(false));
    assert_eq!(container.capabilities.and_then(|c| c.drop), Some(vec!["ALL".to_string()]));

    for user in ["0", "root", "0:0"] {
        let (reason, message) = refused(app(json!({"user": user})), json!({"level": "restricted"}), None);
        assert_eq!(reason, reasons::TASK_SECURITY_POLICY);
        assert!(message.contains("containerDefinitions[name=app].user: 0: running as root"), "{user}: {message}");
        assert!(message.contains("spec.taskSecurity.level: baseline"), "{message}");
    }
    assert!(decide(app(json!({"user": "1000"})), json!({"level": "restricted"}), None).is_ok());
    let (_, message) = refused(
        app(json!({"linuxParameters": {"capabilities": {"add": ["CHOWN"]}}})),
        json!({"level": "restricted"}),
        None,
    );
    assert!(message.contains("restricted allows only NET_BIND_SERVICE"), "{message}");
}

#[test]
fn the_namespace_level_wins_over_the_clusters_exceptions() {
    let privileged = app(json!({"privileged": true}));
    let (reason, message) = refused(privileged, json!({"allowPrivileged": true}), Some(PodSecurityLevel::Baseline));
    assert_eq!(reason, reasons::NAMESPACE_POD_SECURITY);
    assert!(
        message.starts_with(
            "namespace \"team-a\" enforces Pod Security \"baseline\" (label pod-security.kubernetes.io/enforce)"
        ),
        "{message}"
    );
    assert!(message.contains("privileged: true"), "{message}");

    let (reason, message) = refused(app(json!({"user": "0"})), json!({}), Some(PodSecurityLevel::Restricted));
    assert_eq!(reason, reasons::NAMESPACE_POD_SECURITY);
    assert!(message.contains("user: 0: running as root"), "{message}");
    // A restricted namespace hardens tasks even when the cluster is baseline.
    assert!(decide(app(json!({"user": "1000"})), json!({}), Some(PodSecurityLevel::Restricted)).is_ok());
    // A privileged namespace does not loosen the cluster's policy.
    let (reason, _) = refused(app(json!({"privileged": true})), json!({}), Some(PodSecurityLevel::Privileged));
    assert_eq!(reason, reasons::TASK_SECURITY_POLICY);
}
