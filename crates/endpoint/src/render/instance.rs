//! ContainerInstance -> ECS ContainerInstance.

use kube_ecs_api::ContainerInstance;
use kube_ecs_api::container_instance::InstanceResources;
use kube_ecs_api::ecs::InstanceState;
use kube_ecs_wire as wire;

use crate::arn::Arns;

fn resources(resources: Option<&InstanceResources>) -> Vec<wire::Resource> {
    let Some(r) = resources else { return Vec::new() };
    let integer = |name: &str, value: i64| wire::Resource {
        name: Some(name.into()),
        r#type: Some("INTEGER".into()),
        integer_value: Some(i32::try_from(value).unwrap_or(i32::MAX)),
        ..Default::default()
    };
    vec![integer("CPU", r.cpu), integer("MEMORY", r.memory)]
}

/// The instance as DescribeContainerInstances reports it, in the cluster whose ECS name is `cluster`.
pub fn instance(arns: &Arns, cluster: &str, instance: &ContainerInstance) -> wire::ContainerInstance {
    let id = instance.metadata.name.clone().unwrap_or_default();
    let status = instance.status.clone().unwrap_or_default();
    let mut attributes = Vec::new();
    for (name, value) in [
        ("ecs.instance-type", instance.spec.instance_type.as_ref()),
        ("ecs.availability-zone", instance.spec.availability_zone.as_ref()),
        ("ecs.capacity-type", instance.spec.capacity_type.as_ref()),
    ] {
        if let Some(value) = value {
            attributes.push(wire::Attribute { name: name.into(), value: Some(value.clone()), ..Default::default() });
        }
    }
    wire::ContainerInstance {
        container_instance_arn: Some(arns.container_instance(cluster, &id)),
        ec2_instance_id: Some(instance.spec.ec2_instance_id.clone()),
        capacity_provider_name: instance.spec.pool.clone(),
        status: Some(status.status.unwrap_or(InstanceState::Active).as_str().into()),
        agent_connected: Some(status.agent_connected),
        running_tasks_count: Some(status.running_tasks_count),
        pending_tasks_count: Some(status.pending_tasks_count),
        registered_resources: resources(status.registered_resources.as_ref()),
        remaining_resources: resources(status.remaining_resources.as_ref()),
        registered_at: super::timestamp(instance.metadata.creation_timestamp.as_ref()),
        attributes,
        ..Default::default()
    }
}
