//! The ECS actions, one file per resource (ECR's in [`ecr`], Secrets Manager's in [`secretsmanager`],
//! SSM's in [`ssm`]). Each reads and writes the custom resources (Secrets for Secrets Manager and
//! SSM) through the caller's impersonating client; there is no other store.

/// Runs the action an operation names: `route!(operation, { "Name" => module::action(args), ... })`.
/// An operation without a route is UnknownOperationException (protocol.rs has already refused the
/// operations kube-ecs does not serve; the unit test below keeps every served one routed).
/// A service beside ECS says its errors in its own vocabulary:
/// `route!(operation, errors: errors::in_its_terms, { ... })` puts every error of the call through it.
macro_rules! route {
    ($operation:expr, { $($name:literal => $call:expr),* $(,)? }) => {
        match $operation {
            $($name => $crate::actions::encode($call.await?),)*
            other => Err($crate::error::EcsError::new(
                $crate::error::ErrorCode::UnknownOperationException,
                format!("The action {other} is not supported by kube-ecs."),
            )),
        }
    };
    ($operation:expr, errors: $terms:path, { $($name:literal => $call:expr),* $(,)? }) => {{
        let result: Result<serde_json::Value, $crate::error::EcsError> =
            async { route!($operation, { $($name => $call),* }) }.await;
        result.map_err($terms)
    }};
}

mod account_settings;
pub mod autoscaling;
mod capacity_providers;
pub mod cloud_map;
mod clusters;
pub mod ecr;
mod inactive;
mod instances;
pub mod logs;
mod namespace_store;
pub mod scheduler;
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
    route!(operation, {
        "CreateCluster" => clusters::create(call, decode(&input)?, &input),
        "DescribeClusters" => clusters::describe(call, decode(&input)?, &input),
        "ListClusters" => clusters::list(call, decode(&input)?, &input),
        "DeleteCluster" => clusters::delete(call, decode(&input)?, &input),
        "UpdateCluster" => clusters::update(call, decode(&input)?, &input),
        "RegisterTaskDefinition" => task_definitions::register(call, decode(&input)?, &input),
        "DescribeTaskDefinition" => task_definitions::describe(call, decode(&input)?, &input),
        "ListTaskDefinitions" => task_definitions::list(call, decode(&input)?, &input),
        "ListTaskDefinitionFamilies" => task_definitions::families(call, decode(&input)?, &input),
        "DeregisterTaskDefinition" => task_definitions::deregister(call, decode(&input)?, &input),
        "DeleteTaskDefinitions" => task_definitions::delete(call, decode(&input)?, &input),
        "RunTask" => tasks::run(call, decode(&input)?, &input),
        "DescribeTasks" => tasks::describe(call, decode(&input)?, &input),
        "ListTasks" => tasks::list(call, decode(&input)?, &input),
        "StopTask" => tasks::stop(call, decode(&input)?, &input),
        "CreateService" => services::create(call, decode(&input)?, &input),
        "UpdateService" => services::update(call, decode(&input)?, &input),
        "DescribeServices" => services::describe(call, decode(&input)?, &input),
        "ListServices" => services::list(call, decode(&input)?, &input),
        "DeleteService" => services::delete(call, decode(&input)?, &input),
        "ListContainerInstances" => instances::list(call, decode(&input)?, &input),
        "DescribeContainerInstances" => instances::describe(call, decode(&input)?, &input),
        "TagResource" => tags::tag(call, decode(&input)?, &input),
        "UntagResource" => tags::untag(call, decode(&input)?, &input),
        "ListTagsForResource" => tags::list(call, decode(&input)?, &input),
        "PutAccountSetting" => account_settings::put(call, decode(&input)?, &input),
        "PutAccountSettingDefault" => account_settings::put_default(call, decode(&input)?, &input),
        "ListAccountSettings" => account_settings::list(call, decode(&input)?, &input),
        "DeleteAccountSetting" => account_settings::delete(call, decode(&input)?, &input),
        "CreateCapacityProvider" => capacity_providers::create(call, decode(&input)?, &input),
        "DescribeCapacityProviders" => capacity_providers::describe(call, decode(&input)?, &input),
        "UpdateCapacityProvider" => capacity_providers::update(call, decode(&input)?, &input),
        "DeleteCapacityProvider" => capacity_providers::delete(call, decode(&input)?, &input),
        "PutClusterCapacityProviders" => capacity_providers::put_cluster(call, decode(&input)?, &input),
    })
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

#[cfg(test)]
mod tests {
    use crate::protocol::Service;

    /// Where a service's routes are written.
    fn routes(service: Service) -> &'static str {
        match service {
            Service::Ecs => include_str!("mod.rs"),
            Service::Ecr => include_str!("ecr/mod.rs"),
            Service::SecretsManager => include_str!("secretsmanager/mod.rs"),
            Service::Ssm => include_str!("ssm/mod.rs"),
            Service::Logs => include_str!("logs/mod.rs"),
            Service::Scheduler => include_str!("scheduler/mod.rs"),
            Service::AutoScaling => include_str!("autoscaling/mod.rs"),
            Service::CloudMap => include_str!("cloud_map/mod.rs"),
        }
    }

    /// A supported operation without a route would answer UnknownOperationException; this keeps that
    /// from happening silently, for every service on the endpoint.
    #[test]
    fn every_operation_the_models_serve_is_routed() {
        for service in Service::TARGETED.into_iter().chain([Service::Scheduler]) {
            let source = routes(service);
            for operation in service.supported() {
                assert!(source.contains(&format!("\"{operation}\" => ")), "{service:?}: {operation} has no route");
            }
        }
    }
}
