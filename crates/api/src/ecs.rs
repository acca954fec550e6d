//! ECS's vocabulary as types: every state, stop code, strategy and launch type kube-ecs reads or
//! writes. Each is a closed enum whose serde name is ECS's own wire value, so the CRD schemas get
//! their `enum` from the type, a typo does not compile, and strings exist only at the edges
//! ((de)serialisation, the CRD, messages).
//!
//! Variants carry `//` comments, not doc comments: schemars turns documented unit variants into a
//! `oneOf` of constants, which a structural CRD schema cannot hold.

use std::fmt;

/// A string that is not one of a vocabulary's values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {kind}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

/// Defines a closed ECS vocabulary: the enum, its wire names (serde and schema), `ALL` in declaration
/// order (which is also `Ord`), `as_str`, `Display` and `FromStr`; `default V` adds `Default`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident default $default:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        vocabulary! { $(#[$meta])* $name { $($variant = $wire),+ } }

        // Only for `Default` of the structs holding it; a plan always sets the value it means.
        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }
    };
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, schemars::JsonSchema,
        )]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }

        impl $name {
            /// Every value, in ECS's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire value.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;

            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| UnknownValue { kind: stringify!($name), value: s.to_string() })
            }
        }
    };
}

vocabulary! {
    /// A task's `lastStatus`, in lifecycle order: a task only ever moves forward through these.
    TaskLifecycle {
        Provisioning = "PROVISIONING",
        Pending = "PENDING",
        Activating = "ACTIVATING",
        Running = "RUNNING",
        Deactivating = "DEACTIVATING",
        Stopping = "STOPPING",
        Deprovisioning = "DEPROVISIONING",
        Stopped = "STOPPED",
    }
}

vocabulary! {
    /// What the user (or the service scheduler) wants of a task: ECS `desiredStatus`.
    DesiredStatus {
        Running = "RUNNING",
        Stopped = "STOPPED",
    }
}

vocabulary! {
    /// A container's `lastStatus`.
    ContainerLifecycle {
        Pending = "PENDING",
        Running = "RUNNING",
        Stopped = "STOPPED",
    }
}

vocabulary! {
    /// A container's or a task's `healthStatus`.
    HealthStatus {
        Healthy = "HEALTHY",
        Unhealthy = "UNHEALTHY",
        Unknown = "UNKNOWN",
    }
}

vocabulary! {
    /// Why a task stopped: ECS `stopCode`.
    StopCode default TaskFailedToStart {
        TaskFailedToStart = "TaskFailedToStart",
        EssentialContainerExited = "EssentialContainerExited",
        UserInitiated = "UserInitiated",
        ServiceSchedulerInitiated = "ServiceSchedulerInitiated",
        SpotInterruption = "SpotInterruption",
        TerminationNotice = "TerminationNotice",
    }
}

vocabulary! {
    /// A service's `schedulingStrategy`.
    SchedulingStrategy {
        Replica = "REPLICA",
        Daemon = "DAEMON",
    }
}

vocabulary! {
    /// Application Auto Scaling's predefined metrics for an ECS service's target tracking.
    PredefinedMetricType default Cpu {
        Cpu = "ECSServiceAverageCPUUtilization",
        Memory = "ECSServiceAverageMemoryUtilization",
    }
}

vocabulary! {
    /// ECS `launchType` (tasks and services) and `requiresCompatibilities` (task definitions).
    LaunchType {
        Ec2 = "EC2",
        Fargate = "FARGATE",
        External = "EXTERNAL",
        ManagedInstances = "MANAGED_INSTANCES",
    }
}

vocabulary! {
    /// A service's `status`.
    ServiceState {
        Active = "ACTIVE",
        Draining = "DRAINING",
        Inactive = "INACTIVE",
    }
}

vocabulary! {
    /// A service deployment's `status`: the newest is PRIMARY, older ones with tasks ACTIVE.
    DeploymentStatus default Primary {
        Primary = "PRIMARY",
        Active = "ACTIVE",
        Inactive = "INACTIVE",
    }
}

vocabulary! {
    /// A service deployment's `rolloutState`.
    RolloutState {
        InProgress = "IN_PROGRESS",
        Completed = "COMPLETED",
        Failed = "FAILED",
    }
}

vocabulary! {
    /// A cluster's `status`.
    ClusterState {
        Active = "ACTIVE",
        Provisioning = "PROVISIONING",
        Deprovisioning = "DEPROVISIONING",
        Failed = "FAILED",
        Inactive = "INACTIVE",
    }
}

vocabulary! {
    /// A container instance's `status`.
    InstanceState {
        Active = "ACTIVE",
        Draining = "DRAINING",
        Inactive = "INACTIVE",
    }
}

vocabulary! {
    /// A task definition revision's `status`: INACTIVE once deregistered.
    RevisionStatus default Active {
        Active = "ACTIVE",
        Inactive = "INACTIVE",
    }
}

vocabulary! {
    /// A container dependency's `condition` (`dependsOn`).
    DependencyCondition default Start {
        Start = "START",
        Complete = "COMPLETE",
        Success = "SUCCESS",
        Healthy = "HEALTHY",
    }
}

// ECR's vocabulary (the Repository kind): botocore's ECR model and ECR's lifecycle policy JSON.

vocabulary! {
    /// A repository's `imageTagMutability` (ECR's default: MUTABLE). kube-ecs enforces MUTABLE and
    /// IMMUTABLE; a `_WITH_EXCLUSION` value is enforced as its base value, its exclusion filters not applied.
    ImageTagMutability default Mutable {
        Mutable = "MUTABLE",
        Immutable = "IMMUTABLE",
        ImmutableWithExclusion = "IMMUTABLE_WITH_EXCLUSION",
        MutableWithExclusion = "MUTABLE_WITH_EXCLUSION",
    }
}

vocabulary! {
    /// How an `imageTagMutabilityExclusionFilters` entry matches tags.
    ImageTagMutabilityExclusionFilterType default Wildcard {
        Wildcard = "WILDCARD",
    }
}

vocabulary! {
    /// A repository's `encryptionConfiguration.encryptionType` (ECR's default: AES256).
    EncryptionType default Aes256 {
        Aes256 = "AES256",
        Kms = "KMS",
        KmsDsse = "KMS_DSSE",
    }
}

vocabulary! {
    /// A lifecycle policy rule's `selection.tagStatus`: which images the rule looks at.
    LifecycleTagStatus {
        Tagged = "tagged",
        Untagged = "untagged",
        Any = "any",
    }
}

vocabulary! {
    /// A lifecycle policy rule's `selection.countType`.
    LifecycleCountType {
        ImageCountMoreThan = "imageCountMoreThan",
        SinceImagePushed = "sinceImagePushed",
    }
}

vocabulary! {
    /// A lifecycle policy rule's `selection.countUnit` (only with `sinceImagePushed`).
    LifecycleCountUnit default Days {
        Days = "days",
    }
}

vocabulary! {
    /// A lifecycle policy rule's `action.type` (ECR's `transition` needs archive storage kube-ecs lacks).
    LifecycleActionType default Expire {
        Expire = "expire",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip_through_serde_and_from_str() {
        for state in TaskLifecycle::ALL {
            let json = serde_json::to_value(state).expect("serialises");
            assert_eq!(json, serde_json::json!(state.as_str()));
            assert_eq!(serde_json::from_value::<TaskLifecycle>(json).ok(), Some(*state));
            assert_eq!(state.as_str().parse::<TaskLifecycle>().ok(), Some(*state));
        }
        assert_eq!(
            "RUNING".parse::<TaskLifecycle>(),
            Err(UnknownValue { kind: "TaskLifecycle", value: "RUNING".into() })
        );
    }

    #[test]
    fn lifecycle_order_is_ecs_order() {
        assert!(TaskLifecycle::Provisioning < TaskLifecycle::Pending);
        assert!(TaskLifecycle::Running < TaskLifecycle::Stopping);
        assert_eq!(TaskLifecycle::ALL.last(), Some(&TaskLifecycle::Stopped));
    }

    #[test]
    fn schemas_are_plain_string_enums() {
        let schema = schemars::schema_for!(StopCode);
        let value = serde_json::to_value(&schema).expect("schema serialises");
        assert_eq!(value["type"], "string");
        assert_eq!(value["enum"].as_array().map(Vec::len), Some(StopCode::ALL.len()));
    }
}

vocabulary! {
    /// EventBridge Scheduler's schedule `State`.
    ScheduleState default Enabled {
        Enabled = "ENABLED",
        Disabled = "DISABLED",
    }
}

vocabulary! {
    /// EventBridge Scheduler's `FlexibleTimeWindow.Mode`.
    FlexibleTimeWindowMode default Off {
        Off = "OFF",
        Flexible = "FLEXIBLE",
    }
}

vocabulary! {
    /// EventBridge Scheduler's `ActionAfterCompletion`: whether a schedule with nothing left to run
    /// (a past `at(...)`, an `endDate` reached) is deleted.
    ActionAfterCompletion default Keep {
        Keep = "NONE",
        Delete = "DELETE",
    }
}
