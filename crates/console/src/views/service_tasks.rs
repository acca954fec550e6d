//! Services' tasks as the console shows them: the Pods of a service's workload, read as the
//! identity and shown as ECS tasks (`kube_ecs_domain::service_task`), in the cluster's Tasks tab
//! beside the standalone tasks (group `service:<name>`, as ECS lists them), on the service's page,
//! and on a task page of their own.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, ListParams};
use kube_ecs_api::ecs::DesiredStatus;
use kube_ecs_api::ecs_names::{cluster_reference, service_name};
use kube_ecs_api::labels::SERVICE_NAME;
use kube_ecs_api::{Service, Task};
use kube_ecs_domain::service_task::{as_task, service_object};

/// The tasks of the services of cluster `cluster` (its object name) in `ns` whose desired status
/// is STOPPED (`stopped`) or RUNNING, newest first; at most `limit` Pods are read.
pub async fn of_cluster(
    client: &kube::Client,
    ns: &str,
    cluster: &str,
    stopped: bool,
    limit: u32,
) -> Result<Vec<Task>, kube::Error> {
    let (pods, services) = (Api::<Pod>::namespaced(client.clone(), ns), Api::<Service>::namespaced(client.clone(), ns));
    let (selected, all) = (ListParams::default().labels(SERVICE_NAME).limit(limit), ListParams::default());
    let (pods, services) = futures::join!(pods.list(&selected), services.list(&all));
    let (pods, services) = (pods?.items, services?.items);
    let now = Time(jiff::Timestamp::now());
    let desired = if stopped { DesiredStatus::Stopped } else { DesiredStatus::Running };
    let mut tasks: Vec<Task> = pods
        .iter()
        .filter_map(|pod| {
            let object = service_object(pod)?;
            let service = services.iter().find(|s| s.metadata.name.as_deref() == Some(object))?;
            (cluster_reference(service.spec.cluster.as_deref()) == cluster)
                .then(|| as_task(pod, &service_name(service), cluster, &now))
        })
        .filter(|task| task.status.as_ref().and_then(|s| s.desired_status) == Some(desired))
        .collect();
    tasks.sort_by(|a, b| b.metadata.creation_timestamp.cmp(&a.metadata.creation_timestamp));
    Ok(tasks)
}

/// The tasks of `service` from its Pods (those its workload selects).
pub fn of_service(service: &Service, pods: &[Pod]) -> Vec<Task> {
    let now = Time(jiff::Timestamp::now());
    let cluster = cluster_reference(service.spec.cluster.as_deref());
    let name = service_name(service);
    pods.iter().map(|pod| as_task(pod, &name, &cluster, &now)).collect()
}

/// The service task whose ID is `id` (its Pod's name), if `id` names one.
pub async fn by_id(client: &kube::Client, ns: &str, id: &str) -> Result<Option<Task>, kube::Error> {
    let Some(pod) = Api::<Pod>::namespaced(client.clone(), ns).get_opt(id).await? else { return Ok(None) };
    let Some(object) = service_object(&pod) else { return Ok(None) };
    let Some(service) = Api::<Service>::namespaced(client.clone(), ns).get_opt(object).await? else {
        return Ok(None);
    };
    Ok(of_service(&service, std::slice::from_ref(&pod)).into_iter().next())
}
