//! The ECS actions, one file per resource (ECR's in [`ecr`], Secrets Manager's in [`secretsmanager`],
//! SSM's in [`ssm`]). Each reads and writes the custom resources (Secrets for Secrets Manager and
//! SSM) through the caller's impersonating client; there is no other store.

mod account_settings;
mod capacity_providers;
mod clusters;
pub mod ecr;
mod inactive;
mod instances;
pub mod logs;
mod namespace_store;
mod secret_store;
pub mod secretsmanager;
mod services;
pub mod ssm;
mod tags;
mod task_definitions;
mod tasks;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::call::Call;
use crate::error::EcsError;

/// The typed input (already checked against the model, so decoding only fails on a bug).
fn decode<T: DeserializeOwned>(input: &serde_json::Value) -> Result<T, EcsError> {
    serde_json::from_value(input.clone())
        .map_err(|e| EcsError::new(crate::ErrorCode::SerializationException, format!("Cannot read the request: {e}")))
}

fn encode<T: Serialize>(output: T) -> Result<serde_json::Value, EcsError> {
    serde_json::to_value(output).map_err(|e| EcsError::server(format!("writing the response: {e}")))
}

/// Runs `operation` (one of the supported ones) with its checked input.
pub async fn dispatch(
    call: &Call<'_>,
    operation: &str,
    input: serde_json::Value,
) -> Result<serde_json::Value, EcsError> {
    macro_rules! route {
        ($($name:literal => $action:path),* $(,)?) => {
            match operation {
                $($name => encode($action(call, decode(&input)?, &input).await?),)*
                other => Err(EcsError::new(crate::ErrorCode::UnknownOperationException, format!("The action {other} is not supported by kube-ecs."))),
            }
        };
    }
    route! {
        "CreateCluster" => clusters::create,
        "DescribeClusters" => clusters::describe,
        "ListClusters" => clusters::list,
        "DeleteCluster" => clusters::delete,
        "UpdateCluster" => clusters::update,
        "RegisterTaskDefinition" => task_definitions::register,
        "DescribeTaskDefinition" => task_definitions::describe,
        "ListTaskDefinitions" => task_definitions::list,
        "ListTaskDefinitionFamilies" => task_definitions::families,
        "DeregisterTaskDefinition" => task_definitions::deregister,
        "DeleteTaskDefinitions" => task_definitions::delete,
        "RunTask" => tasks::run,
        "DescribeTasks" => tasks::describe,
        "ListTasks" => tasks::list,
        "StopTask" => tasks::stop,
        "CreateService" => services::create,
        "UpdateService" => services::update,
        "DescribeServices" => services::describe,
        "ListServices" => services::list,
        "DeleteService" => services::delete,
        "ListContainerInstances" => instances::list,
        "DescribeContainerInstances" => instances::describe,
        "TagResource" => tags::tag,
        "UntagResource" => tags::untag,
        "ListTagsForResource" => tags::list,
        "PutAccountSetting" => account_settings::put,
        "PutAccountSettingDefault" => account_settings::put_default,
        "ListAccountSettings" => account_settings::list,
        "DeleteAccountSetting" => account_settings::delete,
        "CreateCapacityProvider" => capacity_providers::create,
        "DescribeCapacityProviders" => capacity_providers::describe,
        "UpdateCapacityProvider" => capacity_providers::update,
        "DeleteCapacityProvider" => capacity_providers::delete,
        "PutClusterCapacityProviders" => capacity_providers::put_cluster,
    }
}

/// Whether `include` asks for TAGS.
fn wants_tags(include: &[String]) -> bool {
    include.iter().any(|i| i == "TAGS")
}

/// The cluster a request names by its ECS name or ARN (`default` when none), which must exist
/// (ECS: ClusterNotFoundException).
async fn existing_cluster(call: &Call<'_>, member: Option<&str>) -> Result<kube_ecs_api::EcsCluster, EcsError> {
    let name = crate::arn::cluster_name(member);
    crate::lookup::cluster(call, &name).await?.ok_or_else(EcsError::cluster_not_found)
}
