//! ECS's ARNs over kube-ecs's names: `arn:aws:ecs:<region>:<account>:<kind>/...`, and ECR's
//! repository ARNs (`arn:aws:ecr:<region>:<account>:repository/<name>`). Requests may name an ECS
//! resource by its ARN or its short name; responses always carry ARNs.

/// Formats and reads the ARNs of one region and account.
#[derive(Clone, Debug)]
pub struct Arns {
    prefix: String,
    ecr_prefix: String,
    region: String,
    account: String,
}

impl Arns {
    pub fn new(region: &str, account: &str) -> Self {
        Self {
            prefix: format!("arn:aws:ecs:{region}:{account}:"),
            ecr_prefix: format!("arn:aws:ecr:{region}:{account}:"),
            region: region.to_string(),
            account: account.to_string(),
        }
    }

    /// An ECR repository (its `repositoryName`, which may hold `/`).
    pub fn repository(&self, repository_name: &str) -> String {
        format!("{}repository/{repository_name}", self.ecr_prefix)
    }

    /// A Cloud Map namespace or service (`kind` `namespace` or `service`, `id` `ns-...` or `srv-...`).
    pub fn cloud_map(&self, kind: &str, id: &str) -> String {
        format!("arn:aws:servicediscovery:{}:{}:{kind}/{id}", self.region, self.account)
    }

    /// The account every resource belongs to (Cloud Map's ResourceOwner).
    pub fn account(&self) -> &str {
        &self.account
    }

    /// An EventBridge Scheduler schedule of a group (kube-ecs has the `default` group only).
    pub fn schedule(&self, group: &str, name: &str) -> String {
        format!("arn:aws:scheduler:{}:{}:schedule/{group}/{name}", self.region, self.account)
    }

    /// The role a schedule made with kubectl, which names none, is shown with.
    pub fn scheduler_role(&self) -> String {
        format!("arn:aws:iam::{}:role/kube-ecs-scheduler", self.account)
    }

    /// A task-definition family (its latest ACTIVE revision), as Scheduler's TaskDefinitionArn takes it.
    pub fn task_definition_family(&self, family: &str) -> String {
        format!("{}task-definition/{family}", self.prefix)
    }

    pub fn cluster(&self, name: &str) -> String {
        format!("{}cluster/{name}", self.prefix)
    }

    pub fn task(&self, cluster: &str, id: &str) -> String {
        format!("{}task/{cluster}/{id}", self.prefix)
    }

    pub fn service(&self, cluster: &str, name: &str) -> String {
        format!("{}service/{cluster}/{name}", self.prefix)
    }

    pub fn task_definition(&self, family: &str, revision: i64) -> String {
        format!("{}task-definition/{family}:{revision}", self.prefix)
    }

    pub fn container_instance(&self, cluster: &str, id: &str) -> String {
        format!("{}container-instance/{cluster}/{id}", self.prefix)
    }

    pub fn container(&self, cluster: &str, task_id: &str, name: &str) -> String {
        format!("{}container/{cluster}/{task_id}/{name}", self.prefix)
    }
}

/// What a resource reference names, once the ARN decoration is gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    Cluster(String),
    /// A task, with the cluster its ARN names (old-style task ARNs carry none).
    Task {
        cluster: Option<String>,
        id: String,
    },
    Service {
        cluster: Option<String>,
        name: String,
    },
    TaskDefinition(String),
    ContainerInstance {
        cluster: Option<String>,
        id: String,
    },
}

/// The resource an ARN names (for TagResource and friends), or None when it is not an ECS ARN of a
/// kind kube-ecs serves.
pub fn parse(arn: &str) -> Option<Reference> {
    let resource = arn.strip_prefix("arn:")?.splitn(5, ':').nth(4)?;
    let (kind, rest) = resource.split_once('/')?;
    let (head, tail) = match rest.split_once('/') {
        Some((head, tail)) => (Some(head.to_string()), tail.to_string()),
        None => (None, rest.to_string()),
    };
    match kind {
        "cluster" if head.is_none() => Some(Reference::Cluster(tail)),
        "task" => Some(Reference::Task { cluster: head, id: tail }),
        "service" => Some(Reference::Service { cluster: head, name: tail }),
        "task-definition" => Some(Reference::TaskDefinition(rest.to_string())),
        "container-instance" => Some(Reference::ContainerInstance { cluster: head, id: tail }),
        _ => None,
    }
}

/// The `repositoryName` an ECR repository ARN names (everything after `repository/`: names hold
/// `/`), or None when it is not one. Like ECS's ARNs, its region and account are not checked.
pub fn repository_name(arn: &str) -> Option<&str> {
    let mut parts = arn.strip_prefix("arn:")?.splitn(5, ':');
    let (_partition, service, _region, _account) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let name = parts.next()?.strip_prefix("repository/")?;
    (service == "ecr" && !name.is_empty()).then_some(name)
}

/// The last segment of a name-or-ARN (`arn:...:cluster/prod` -> `prod`, `prod` -> `prod`).
pub fn short_name(name_or_arn: &str) -> &str {
    if name_or_arn.starts_with("arn:") { name_or_arn.rsplit('/').next().unwrap_or(name_or_arn) } else { name_or_arn }
}

/// The cluster a request names (`cluster` member: name or ARN), or ECS's `default`.
pub fn cluster_name(member: Option<&str>) -> String {
    match member.map(str::trim).filter(|c| !c.is_empty()) {
        Some(cluster) => short_name(cluster).to_string(),
        None => "default".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_round_trip() {
        let arns = Arns::new("us-east-1", "123456789012");
        let cases = [
            (arns.cluster("prod"), Reference::Cluster("prod".into())),
            (arns.task("prod", "a1b2"), Reference::Task { cluster: Some("prod".into()), id: "a1b2".into() }),
            (arns.service("prod", "web"), Reference::Service { cluster: Some("prod".into()), name: "web".into() }),
            (arns.task_definition("web", 3), Reference::TaskDefinition("web:3".into())),
            (
                arns.container_instance("prod", "n1"),
                Reference::ContainerInstance { cluster: Some("prod".into()), id: "n1".into() },
            ),
            (
                "arn:aws:ecs:us-east-1:123456789012:service/web".to_string(),
                Reference::Service { cluster: None, name: "web".into() },
            ),
        ];
        for (arn, expected) in cases {
            assert_eq!(parse(&arn), Some(expected), "{arn}");
        }
        assert_eq!(arns.cluster("prod"), "arn:aws:ecs:us-east-1:123456789012:cluster/prod");
        assert_eq!(parse("arn:aws:s3:::bucket"), None);
        assert_eq!(parse("web"), None);
    }

    #[test]
    fn repository_arns() {
        let arns = Arns::new("us-east-1", "123456789012");
        assert_eq!(arns.repository("team-a/web"), "arn:aws:ecr:us-east-1:123456789012:repository/team-a/web");
        let cases = [
            ("arn:aws:ecr:us-east-1:123456789012:repository/team-a/web", Some("team-a/web")),
            ("arn:aws:ecr:eu-west-1:000000000000:repository/web", Some("web")),
            ("arn:aws:ecs:us-east-1:123456789012:repository/web", None),
            ("arn:aws:ecr:us-east-1:123456789012:repository/", None),
            ("arn:aws:ecr:us-east-1:123456789012:web", None),
            ("web", None),
        ];
        for (arn, name) in cases {
            assert_eq!(repository_name(arn), name, "{arn}");
        }
    }

    #[test]
    fn names_from_members() {
        assert_eq!(cluster_name(None), "default");
        assert_eq!(cluster_name(Some("")), "default");
        assert_eq!(cluster_name(Some("prod")), "prod");
        assert_eq!(cluster_name(Some("arn:aws:ecs:us-east-1:123456789012:cluster/prod")), "prod");
        assert_eq!(short_name("arn:aws:ecs:us-east-1:1:service/prod/web"), "web");
    }
}
