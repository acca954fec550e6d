//! One Service reconcile as a pure function: from the service, its resolved revisions, its cluster,
//! its pods and workload (all observed from the read model), the whole next status, the workload
//! and Kubernetes Service to apply, the pods to stop and the Events. The controller only applies.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Service as KubeService;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;

use super::autoscaling::{self, Behaviour, ScalingInputs};
use super::observe::WorkloadState;
use super::rolling::{self, RollingBounds};
use super::rollout::{self, PodView, RolloutInputs};
use super::service_connect;
use super::workload::{self, WorkloadInputs};
use crate::api::EcsCluster;
use crate::api::ecs::{RolloutState, SchedulingStrategy, ServiceState};
use crate::api::service::{Service, ServiceEvent, ServiceStatus};
use crate::api::task_security::PodSecurityLevel;
use crate::cluster::placement::Placement;
use crate::refusal::Refusal;
use crate::revisions::ResolvedRevision;
use crate::task_plan::PodRecord;
use crate::translate::{self, PodInputs, PodPurpose};

/// Everything a Service reconcile reads, observed before planning.
pub struct Observed<'a> {
    pub service: &'a Service,
    /// The status as last written (ours, when the cache has not caught up with it yet).
    pub previous: &'a ServiceStatus,
    /// The spec's task definition, resolved.
    pub target: &'a ResolvedRevision,
    /// The other revisions the service's deployments run (a rollback returns to one of them), each
    /// resolved or refused.
    pub running: &'a [(String, Result<ResolvedRevision, Refusal>)],
    pub cluster: &'a EcsCluster,
    pub placement: &'a Placement,
    pub namespace_level: Option<PodSecurityLevel>,
    pub pods: &'a [PodView],
    pub placement_failure: Option<&'a str>,
    pub workload: &'a WorkloadState,
    /// The service's HorizontalPodAutoscaler, read while autoScaling is on.
    pub hpa: Option<&'a HorizontalPodAutoscaler>,
    /// The Service Connect endpoint Services of the service's Kubernetes namespace (every service's).
    pub connect_peers: &'a [std::sync::Arc<KubeService>],
    pub now: &'a Time,
}

/// The workload object of the service's scheduling strategy.
#[derive(Clone, Debug, PartialEq)]
pub enum Workload {
    Deployment(Box<Deployment>),
    DaemonSet(Box<DaemonSet>),
}

/// What the controller applies.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    /// The next status; `workloadGeneration` is the apply's to fill in.
    pub status: ServiceStatus,
    pub workload: Workload,
    /// The Kubernetes Service for the definition's ports, or none (delete ours if present).
    pub kube_service: Option<KubeService>,
    /// Pods of failed tasks to stop (ECS replaces them).
    pub delete_pods: Vec<String>,
    pub events: Vec<crate::event::EcsEvent>,
    /// Apply this `replicas` under the handover field manager before the workload (autoscaling).
    pub replicas_handover: Option<i32>,
    /// The HorizontalPodAutoscaler of spec.autoScaling, applied after the workload.
    pub hpa: Option<HorizontalPodAutoscaler>,
    /// Delete the HPA kube-ecs made, before the workload takes `replicas` back.
    pub delete_hpa: bool,
    /// The Service Connect endpoints the service publishes (delete its other ones).
    pub connect_services: Vec<KubeService>,
}

pub fn is_daemon(service: &Service) -> bool {
    service.spec.scheduling_strategy == Some(SchedulingStrategy::Daemon)
}

/// `maximumPercent` and `minimumHealthyPercent`, with ECS's defaults for the strategy.
pub fn percentages(service: &Service) -> (i32, i32) {
    let config = service.spec.deployment_configuration.clone().unwrap_or_default();
    let (maximum, minimum) = if is_daemon(service) {
        (rolling::DAEMON_MAXIMUM_PERCENT, rolling::DAEMON_MINIMUM_HEALTHY_PERCENT)
    } else {
        (rolling::DEFAULT_MAXIMUM_PERCENT, rolling::DEFAULT_MINIMUM_HEALTHY_PERCENT)
    };
    (config.maximum_percent.unwrap_or(maximum), config.minimum_healthy_percent.unwrap_or(minimum))
}

/// Plans the reconcile; a refusal (the revision to deploy does not resolve, translation or the
/// security policy refuses it) leaves the workload as it is.
pub fn plan(observed: &Observed<'_>) -> Result<Planned, Refusal> {
    let Observed { service, previous, target, cluster, now, .. } = observed;
    // The HPA tracks the reservation of the revision the spec asks for (during a rollback, the one
    // being left: the next reconcile after the spec changes corrects it).
    let (tracked, scaling_unsupported) = autoscaling::auto_scaling(service)
        .map(|scaling| autoscaling::tracked_policies(scaling, &target.spec))
        .unwrap_or_default();
    let replicas = autoscaling::replicas(service, !tracked.is_empty(), observed.workload);
    let desired_count = if is_daemon(service) { observed.workload.replicas } else { replicas.desired_count };
    let rollout = rollout::plan(&RolloutInputs {
        service,
        previous,
        target: &target.reference,
        desired_count,
        pods: observed.pods,
        workload_settled: observed.workload.settled
            && observed.workload.task_definition.as_deref() == previous.task_definition.as_deref(),
        now,
        placement_failure: observed.placement_failure,
    });
    let deployed = if rollout.deploy == target.reference {
        (*target).clone()
    } else {
        match observed.running.iter().find(|(reference, _)| *reference == rollout.deploy) {
            Some((_, resolved)) => resolved.clone()?,
            None => {
                return Err(Refusal::new(
                    crate::api::conditions::VALID,
                    crate::refusal::reasons::TASK_DEFINITION,
                    format!("task definition {} is not among the service's revisions", rollout.deploy),
                    true,
                ));
            }
        }
    };
    let namespace = service.metadata.namespace.clone().unwrap_or_default();
    let mut translated = translate::pod_template(&PodInputs {
        task_definition: &deployed.spec,
        task_definition_ref: &deployed.reference,
        overrides: None,
        placement: observed.placement,
        purpose: PodPurpose::Service,
    })
    .map_err(Refusal::translation)?;
    crate::admission::secure(cluster, &namespace, observed.namespace_level, &deployed.spec, &mut translated)?;
    let connect = service_connect::configuration(service).map_err(Refusal::translation)?;
    let connect_services = match &connect {
        Some(config) => {
            let aliases = service_connect::host_aliases(
                &service_connect::namespace_of(config, service),
                &service.name_any(),
                observed.connect_peers.iter().map(|p| p.as_ref()),
            );
            // After the task definition's own extraHosts, which the translation put there.
            if let Some(spec) = translated.template.spec.as_mut().filter(|_| !aliases.is_empty()) {
                spec.host_aliases.get_or_insert_with(Vec::new).extend(aliases);
            }
            service_connect::endpoints(service, &deployed.spec, config).map_err(Refusal::translation)?
        }
        None => Vec::new(),
    };
    let record =
        PodRecord::from_mappings(&deployed.reference, &translated.containers, translated.unsupported.clone(), None);
    let (max_percent, min_percent) = percentages(service);
    let bounds: RollingBounds = rolling::replica_bounds(desired_count, max_percent, min_percent);
    let inputs = WorkloadInputs {
        service,
        template: translated.template,
        record: &record,
        desired_count,
        replicas: replicas.applied,
        bounds,
        paused: rollout.paused,
    };
    let workload = if is_daemon(service) {
        Workload::DaemonSet(Box::new(workload::daemon_set(&inputs, min_percent).map_err(Refusal::translation)?))
    } else {
        Workload::Deployment(Box::new(workload::deployment(&inputs).map_err(Refusal::translation)?))
    };

    let mut status = rollout.status;
    status.observed_generation = service.metadata.generation;
    status.status = Some(ServiceState::Active);
    status.selector = Some(workload::selector_string(service));
    status.unsupported_fields = translated.unsupported;
    status.workload_generation = previous.workload_generation;
    if bounds.adjusted {
        status.unsupported_fields.push(
            "deploymentConfiguration: maximumPercent and minimumHealthyPercent leave no room to deploy; maxUnavailable raised to 1".into(),
        );
    }
    let mut events = rollout.events;
    let scaling = autoscaling::plan(&ScalingInputs {
        service,
        tracked: &tracked,
        previous: previous.auto_scaling.as_ref(),
        previous_count: previous.desired_count,
        count: desired_count,
        observed: observed.hpa,
        behaviour: Behaviour { deploying: status.rollout_state == Some(RolloutState::InProgress) },
        now,
    })
    .map_err(Refusal::translation)?;
    status.auto_scaling = scaling.status;
    status.unsupported_fields.extend(scaling_unsupported);
    if let Some(scaled) = scaling.scaled {
        let id = format!("{}-scaling", now.0.as_millisecond());
        status.events.insert(0, ServiceEvent { id, created_at: Some((*now).clone()), message: scaled.message });
        status.events.truncate(super::rollout::MAX_EVENTS);
        events.push(scaled.event);
    }
    let kube_service = workload::kube_service(service, &deployed.spec, &deployed.reference);
    if let Some(taken) = kube_service
        .as_ref()
        .and_then(|k| connect_services.iter().find(|c| c.metadata.name == k.metadata.name).and(k.metadata.name.clone()))
    {
        return Err(Refusal::translation(format!(
            "serviceConnectConfiguration: the discovery name {taken:?} is the name of the service's load balancer \
             Service; choose another discoveryName"
        )));
    }
    Ok(Planned {
        status,
        workload,
        kube_service,
        delete_pods: rollout.delete_pods,
        events,
        replicas_handover: replicas.handover,
        hpa: scaling.hpa,
        delete_hpa: scaling.delete_hpa,
        connect_services,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::TaskDefinitionSpec;
    use crate::api::ecs::{DeploymentStatus, RevisionStatus, RolloutState};
    use crate::service_plan::fixtures::service;

    fn revision(reference: &str, containers: &str) -> ResolvedRevision {
        let (family, number) = reference.split_once(':').expect("family:revision");
        let spec: TaskDefinitionSpec =
            serde_yaml::from_str(&format!("containerDefinitions:\n{containers}")).expect("definition");
        ResolvedRevision {
            reference: reference.into(),
            family: family.into(),
            revision: number.parse().expect("revision number"),
            task_definition_name: family.into(),
            spec,
            status: RevisionStatus::Active,
        }
    }

    fn cluster() -> EcsCluster {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": "default"},
            "spec": {"nodePools": [{"name": "od", "provider": "simulated", "instanceType": "t3.medium"}]}
        }))
        .expect("cluster")
    }

    const APP: &str = "- name: app\n  image: web:1\n  portMappings:\n  - containerPort: 8080\n";
    const PRIVILEGED: &str = "- name: app\n  image: web:1\n  privileged: true\n";

    struct Case<'a> {
        service: Service,
        previous: ServiceStatus,
        target: ResolvedRevision,
        running: Vec<(String, Result<ResolvedRevision, Refusal>)>,
        workload: WorkloadState,
        namespace_level: Option<PodSecurityLevel>,
        pods: &'a [PodView],
    }

    impl<'a> Case<'a> {
        fn new(service_yaml: &str, target: ResolvedRevision) -> Self {
            Case {
                service: service(service_yaml),
                previous: ServiceStatus::default(),
                target,
                running: vec![],
                workload: WorkloadState::default(),
                namespace_level: None,
                pods: &[],
            }
        }

        fn plan(&self) -> Result<Planned, Refusal> {
            let cluster = cluster();
            let now = Time(jiff::Timestamp::from_second(1_800_000_000).expect("time"));
            plan(&Observed {
                service: &self.service,
                previous: &self.previous,
                target: &self.target,
                running: &self.running,
                cluster: &cluster,
                placement: &Placement::default(),
                namespace_level: self.namespace_level,
                pods: self.pods,
                placement_failure: None,
                workload: &self.workload,
                hpa: None,
                connect_peers: &[],
                now: &now,
            })
        }
    }

    #[test]
    fn a_new_replica_service_gets_a_deployment_a_primary_deployment_and_its_kubernetes_service() {
        let planned = Case::new(
            "taskDefinition: web\ndesiredCount: 3\nloadBalancers:\n- containerName: app\n  containerPort: 8080\n",
            revision("web:1", APP),
        )
        .plan()
        .expect("planned");
        let Workload::Deployment(deployment) = &planned.workload else { panic!("REPLICA runs as a Deployment") };
        assert_eq!(deployment.spec.as_ref().and_then(|s| s.replicas), Some(3));
        assert_eq!(planned.status.status, Some(ServiceState::Active));
        assert_eq!(planned.status.observed_generation, Some(4));
        let primary = &planned.status.deployments[0];
        assert_eq!(
            (primary.status, primary.task_definition.as_str(), primary.rollout_state),
            (DeploymentStatus::Primary, "web:1", Some(RolloutState::InProgress))
        );
        assert!(planned.kube_service.is_some(), "the load-balanced port gets a Kubernetes Service");
        assert!(planned.delete_pods.is_empty());
    }

    #[test]
    fn a_daemon_service_runs_as_a_daemon_set_wanting_what_it_schedules() {
        let mut case = Case::new("taskDefinition: web\nschedulingStrategy: DAEMON\n", revision("web:1", APP));
        case.workload = WorkloadState {
            task_definition: Some("web:1".into()),
            settled: false,
            replicas: 2,
            exists: true,
            replicas_ours: false,
        };
        let planned = case.plan().expect("planned");
        assert!(matches!(planned.workload, Workload::DaemonSet(_)), "DAEMON runs as a DaemonSet");
        assert_eq!(planned.status.deployments[0].desired_count, 2);
        assert!(planned.kube_service.is_none(), "no load balancer, no Kubernetes Service");
    }

    #[test]
    fn refusals_leave_the_workload_alone() {
        let privileged = Case::new("taskDefinition: web\n", revision("web:1", PRIVILEGED)).plan();
        let refusal = privileged.expect_err("baseline refuses a privileged container");
        assert_eq!((refusal.condition, refusal.transient), (crate::api::conditions::VALID, false));
        assert!(refusal.message.contains("privileged"), "{}", refusal.message);

        let root = "- name: app\n  image: web:1\n  user: \"0\"\n";
        let mut restricted = Case::new("taskDefinition: web\n", revision("web:1", root));
        restricted.namespace_level = Some(PodSecurityLevel::Restricted);
        let refusal = restricted.plan().expect_err("a restricted namespace refuses a root task");
        assert_eq!(refusal.condition, crate::api::conditions::VALID);
    }

    #[test]
    fn a_service_keeps_deploying_what_its_primary_deployment_runs() {
        // web:1 rolled out; the spec moves to web:2, whose definition is refused: the refusal
        // names web:2 and nothing is applied.
        let mut case = Case::new("taskDefinition: web:2\n", revision("web:2", PRIVILEGED));
        case.running = vec![("web:1".into(), Ok(revision("web:1", APP)))];
        assert!(case.plan().is_err(), "the new revision is refused before any workload change");
    }

    #[test]
    fn rolling_bounds_that_leave_no_room_are_reported() {
        let planned = Case::new(
            "taskDefinition: web\ndesiredCount: 1\ndeploymentConfiguration:\n  maximumPercent: 100\n  minimumHealthyPercent: 100\n",
            revision("web:1", APP),
        )
        .plan()
        .expect("planned");
        assert!(
            planned.status.unsupported_fields.iter().any(|f| f.contains("maxUnavailable raised to 1")),
            "{:?}",
            planned.status.unsupported_fields
        );
    }

    #[test]
    fn auto_scaling_hands_replicas_to_the_hpa_and_takes_them_back() {
        const RESERVED: &str = "- name: app\n  image: web:1\n  cpu: 256\n  memory: 128\n";
        let scaled = "taskDefinition: web\ndesiredCount: 2\nautoScaling:\n  minCapacity: 1\n  maxCapacity: 4\n  policies:\n  - policyName: cpu50\n    predefinedMetricType: ECSServiceAverageCPUUtilization\n    targetValue: 50\n";
        let replicas_of = |planned: &Planned| {
            let Workload::Deployment(d) = &planned.workload else { panic!("a Deployment") };
            d.spec.as_ref().and_then(|s| s.replicas)
        };
        let mut case = Case::new(scaled, revision("web:1", RESERVED));
        case.workload = WorkloadState {
            task_definition: Some("web:1".into()),
            settled: true,
            replicas: 3,
            exists: true,
            replicas_ours: true,
        };
        let planned = case.plan().expect("planned");
        assert_eq!(planned.replicas_handover, Some(3), "the running count is co-owned first");
        assert_eq!(replicas_of(&planned), None, "then left out of kube-ecs's apply");
        assert_eq!(planned.status.desired_count, Some(3));
        assert!(planned.hpa.is_some() && !planned.delete_hpa);
        // The service's first deployment is IN_PROGRESS: scale-in waits for it, as in ECS.
        let hpa = serde_json::to_value(planned.hpa.as_ref()).expect("hpa");
        assert_eq!(planned.status.rollout_state, Some(RolloutState::InProgress));
        assert_eq!(hpa["spec"]["behavior"]["scaleDown"]["selectPolicy"], "Disabled");
        let hpa_name = planned.status.auto_scaling.as_ref().and_then(|a| a.horizontal_pod_autoscaler.clone());
        assert_eq!(hpa_name.as_deref(), Some("web"));

        // autoScaling removed: the HPA goes and desiredCount is applied again.
        let mut removed = Case::new("taskDefinition: web\ndesiredCount: 2\n", revision("web:1", RESERVED));
        removed.previous = planned.status.clone();
        removed.workload = WorkloadState { replicas_ours: false, ..case.workload.clone() };
        let planned = removed.plan().expect("planned");
        assert_eq!((planned.delete_hpa, planned.hpa.is_none(), replicas_of(&planned)), (true, true, Some(2)));
        assert_eq!(planned.status.auto_scaling, None);
    }

    #[test]
    fn ecs_default_percentages_per_strategy() {
        assert_eq!(percentages(&service("taskDefinition: web\n")), (200, 100));
        assert_eq!(percentages(&service("taskDefinition: web\nschedulingStrategy: DAEMON\n")), (100, 0));
    }
}
