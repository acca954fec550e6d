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
