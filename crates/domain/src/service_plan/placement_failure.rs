//! ECS's "unable to place a task" service event, from what the scheduler said about a service's
//! unscheduled pods and the cluster's closest container instance. Pure: no client.

/// A container instance of the cluster and what it has left (CPU units, MiB).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceRoom {
    pub name: String,
    pub cpu: i64,
    pub memory: i64,
}

/// The service event for a task that no container instance can take, in ECS's words: the resource
/// the closest instance lacks (the one with the most of it left), or why no instance matched.
/// `reason` is the task's ECS placement reason (`RESOURCE:MEMORY (...)`, `ATTRIBUTE: ...`).
pub fn message(service: &str, reason: &str, instances: &[InstanceRoom]) -> String {
    let head = format!(
        "(service {service}) was unable to place a task because no container instance met all of its requirements."
    );
    let closest_by =
        |key: fn(&InstanceRoom) -> i64| instances.iter().max_by(|a, b| key(a).cmp(&key(b)).then(b.name.cmp(&a.name)));
    let (closest, lack) = if reason.starts_with("No Container Instances") || instances.is_empty() {
        return format!("{head} Reason: No Container Instances were found in your cluster.");
    } else if reason.contains("RESOURCE:MEMORY") {
        (closest_by(|i| i.memory), "has insufficient memory available")
    } else if reason.contains("RESOURCE:CPU") {
        (closest_by(|i| i.cpu), "has insufficient CPU units available")
    } else if reason.contains("RESOURCE:PORTS") {
        (closest_by(|i| i.memory), "is already using a port required by your task")
    } else if reason.contains("RESOURCE:GPU") {
        (closest_by(|i| i.memory), "has insufficient GPU resources available")
    } else {
        (closest_by(|i| i.memory), "is missing an attribute required by your task")
    };
    match closest {
        Some(instance) => format!(
            "{head} The closest matching (container-instance {}) {lack}. For more information, see the Troubleshooting section.",
            instance.name
        ),
        None => head,
    }
}

/// Whether a service event is an "unable to place" one.
pub fn is_placement_failure(message: &str) -> bool {
    message.contains(") was unable to place a task because")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(name: &str, cpu: i64, memory: i64) -> InstanceRoom {
        InstanceRoom { name: name.into(), cpu, memory }
    }

    #[test]
    fn names_the_closest_instance_and_what_it_lacks() {
        let instances = [room("i-a", 1024, 512), room("i-b", 256, 1536), room("i-c", 2048, 128)];
        let memory = message("web", "RESOURCE:MEMORY (0/3 nodes are available: 3 Insufficient memory.)", &instances);
        assert_eq!(
            memory,
            "(service web) was unable to place a task because no container instance met all of its requirements. \
             The closest matching (container-instance i-b) has insufficient memory available. For more information, \
             see the Troubleshooting section."
        );
        let cpu = message("web", "RESOURCE:CPU (...)", &instances);
        assert!(cpu.contains("(container-instance i-c) has insufficient CPU units available"), "{cpu}");
        let none = message("web", "No Container Instances were found in your cluster. (...)", &[]);
        assert!(none.ends_with("Reason: No Container Instances were found in your cluster."), "{none}");
        assert!(is_placement_failure(&memory) && !is_placement_failure("(service web) has started 2 tasks."));
    }
}
