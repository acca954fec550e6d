//! A scalable target: `ecs` + `service/<cluster>/<service>` + `ecs:service:DesiredCount` resolved to
//! the caller's Service object, and the ARNs and shapes Application Auto Scaling answers with.
//!
//! ARNs are recomputed, never stored: a policy's is AWS's form,
//! `arn:aws:autoscaling:<region>:<account>:scalingPolicy:<uuid>:resource/ecs/service/<cluster>/<service>:policyName/<name>`,
//! its `<uuid>` made from the Service's UID and the policy name (stable while both are; a Service
//! deleted and made again gets new ARNs, as a re-created AWS policy does); a scalable target's is
//! `arn:aws:application-autoscaling:<region>:<account>:scalable-target/<id>` with an ID from the
//! Service's UID.

use kube_ecs_api::Service;
use kube_ecs_api::ecs_names;
use kube_ecs_api::service::ScalingPolicy;
use kube_ecs_domain::service_plan::autoscaling::uuid_of;

use super::errors::{UNSUPPORTED, validation};
use crate::call::Call;
use crate::error::EcsError;
use crate::lookup::{self, ClusterRef};

pub const NAMESPACE: &str = "ecs";
pub const DIMENSION: &str = "ecs:service:DesiredCount";

/// The caller's Service a resource ID names, with the resource ID as the service's names make it.
pub struct Target {
    pub service: Service,
    pub resource_id: String,
}

/// `(cluster, service)` of `service/<cluster>/<service>`.
pub fn parse_resource_id(resource_id: &str) -> Option<(&str, &str)> {
    let (cluster, service) = resource_id.strip_prefix("service/")?.split_once('/')?;
    (!cluster.is_empty() && !service.is_empty() && !service.contains('/')).then_some((cluster, service))
}

/// Refuses anything but ECS's namespace and dimension and a well-formed resource ID.
pub fn check(namespace: &str, resource_id: &str, dimension: &str) -> Result<(), EcsError> {
    if namespace != NAMESPACE || dimension != DIMENSION || parse_resource_id(resource_id).is_none() {
        return Err(validation(format!(
            "{UNSUPPORTED} (kube-ecs scales ECS services: service namespace ecs, resource ID service/<cluster>/<service>, scalable dimension ecs:service:DesiredCount)"
        )));
    }
    Ok(())
}

/// The Service the resource ID names; a missing cluster or service is AWS's ValidationException.
pub async fn resolve(call: &Call<'_>, namespace: &str, resource_id: &str, dimension: &str) -> Result<Target, EcsError> {
    check(namespace, resource_id, dimension)?;
    let Some((cluster, name)) = parse_resource_id(resource_id) else { return Err(validation(UNSUPPORTED)) };
    let missing = || validation(format!("ECS service doesn't exist: {resource_id}"));
    let Some(cluster) = lookup::cluster(call, cluster).await? else { return Err(missing()) };
    let Some(service) = lookup::service(call, &ClusterRef::of(&cluster), name).await? else { return Err(missing()) };
    if service.metadata.deletion_timestamp.is_some() {
        return Err(missing());
    }
    Ok(Target { resource_id: resource_id_of(&service), service })
}

/// `service/<cluster>/<service>` of a Service, by its ECS names.
pub fn resource_id_of(service: &Service) -> String {
    let cluster = service.spec.cluster.clone().unwrap_or_else(|| kube_ecs_api::DEFAULT_CLUSTER.to_string());
    format!("service/{cluster}/{}", ecs_names::service_name(service))
}

fn uid(service: &Service) -> String {
    let meta = &service.metadata;
    meta.uid.clone().unwrap_or_else(|| {
        format!("{}/{}", meta.namespace.clone().unwrap_or_default(), meta.name.clone().unwrap_or_default())
    })
}

pub fn policy_arn(call: &Call<'_>, service: &Service, policy: &str) -> String {
    let config = &call.endpoint.config;
    let id = uuid_of(&format!("{}/policy/{policy}", uid(service)));
    let resource = resource_id_of(service);
    format!(
        "arn:aws:autoscaling:{}:{}:scalingPolicy:{id}:resource/ecs/{resource}:policyName/{policy}",
        config.region, config.account
    )
}

pub fn target_arn(call: &Call<'_>, service: &Service) -> String {
    let config = &call.endpoint.config;
    let id = uuid_of(&format!("{}/scalable-target", uid(service))).replace('-', "");
    format!("arn:aws:application-autoscaling:{}:{}:scalable-target/{id}", config.region, config.account)
}

/// The service-linked role Application Auto Scaling names for ECS targets.
pub fn role_arn(call: &Call<'_>) -> String {
    format!(
        "arn:aws:iam::{}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
        call.endpoint.config.account
    )
}

/// The two CloudWatch alarms AWS makes for a target-tracking policy, by the names it gives them
/// (kube-ecs makes no alarms: the HPA reads the metrics itself; the names say which policy is which).
pub fn alarms(
    call: &Call<'_>,
    service: &Service,
    policy: &ScalingPolicy,
) -> Vec<kube_ecs_wire::application_autoscaling::Alarm> {
    let config = &call.endpoint.config;
    let id = uuid_of(&format!("{}/alarms/{}", uid(service), policy.policy_name));
    ["AlarmHigh", "AlarmLow"]
        .into_iter()
        .map(|which| {
            let name = format!("TargetTracking-{}-{which}-{id}", resource_id_of(service));
            kube_ecs_wire::application_autoscaling::Alarm {
                alarm_arn: format!("arn:aws:cloudwatch:{}:{}:alarm:{name}", config.region, config.account),
                alarm_name: name,
            }
        })
        .collect()
}

/// When the object was made (AWS's CreationTime of the target and its policies: kube-ecs keeps no
/// time of its own for them).
pub fn creation_time(service: &Service) -> kube_ecs_wire::Timestamp {
    service
        .metadata
        .creation_timestamp
        .as_ref()
        .and_then(|t| kube_ecs_wire::Timestamp::from_epoch_millis(t.0.as_millisecond()))
        .unwrap_or(kube_ecs_wire::Timestamp::UNIX_EPOCH)
}

/// The Services of the caller's namespace, each with its resource ID, filtered to `resource_id` when
/// given (the Service objects of every cluster: ECS's resource IDs name the cluster).
pub async fn services(call: &Call<'_>, resource_ids: &[String]) -> Result<Vec<(String, Service)>, EcsError> {
    let all = call.list(&call.services(), None).await?;
    Ok(all
        .into_iter()
        .filter(|s| s.metadata.deletion_timestamp.is_none())
        .map(|s| (resource_id_of(&s), s))
        .filter(|(id, _)| resource_ids.is_empty() || resource_ids.contains(id))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids() {
        assert_eq!(parse_resource_id("service/default/web"), Some(("default", "web")));
        for bad in ["service/web", "web", "service//web", "service/default/", "service/a/b/c", "table/default/web"] {
            assert_eq!(parse_resource_id(bad), None, "{bad}");
        }
        assert!(check("ecs", "service/default/web", DIMENSION).is_ok());
        assert!(check("dynamodb", "service/default/web", DIMENSION).is_err());
        assert!(check("ecs", "service/default/web", "dynamodb:table:ReadCapacityUnits").is_err());
    }
}
