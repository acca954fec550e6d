//! RunTask's placement answer: how many of `count` tasks the cluster's container instances can take
//! now, and for the rest ECS's failure reason (`RESOURCE:CPU`, `RESOURCE:MEMORY`). The scheduler
//! still places each Pod; this is the immediate answer ECS gives instead of creating a task that
//! could only wait.

use crate::api::TaskDefinitionSpec;
use crate::translate::resources::{parse_task_cpu, parse_task_memory};

/// A container instance's free capacity: CPU units and MiB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Room {
    pub instance: String,
    pub cpu: i64,
    pub memory: i64,
}

/// One task that does not fit: the instance that came closest and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unplaced {
    pub instance: String,
    pub reason: &'static str,
}

/// CPU units and MiB one task of `spec` reserves: the task-level size, else its containers' sum
/// (memory or memoryReservation).
pub fn reservation(spec: &TaskDefinitionSpec) -> (i64, i64) {
    let containers = &spec.container_definitions;
    let cpu =
        spec.cpu.as_ref().and_then(parse_task_cpu).unwrap_or_else(|| containers.iter().filter_map(|c| c.cpu).sum());
    let memory = spec
        .memory
        .as_ref()
        .and_then(parse_task_memory)
        .unwrap_or_else(|| containers.iter().filter_map(|c| c.memory.or(c.memory_reservation)).sum());
    (cpu, memory)
}

/// Places `count` tasks of `need` (cpu, memory) on `rooms`, most free memory first (ECS's binpack
/// would go the other way; either answers the same count). Returns how many fit and one failure
/// per task that does not.
pub fn fit(rooms: &[Room], need: (i64, i64), count: usize) -> (usize, Vec<Unplaced>) {
    let mut rooms = rooms.to_vec();
    let mut placed = 0;
    let mut failures = Vec::new();
    for _ in 0..count {
        rooms.sort_by(|a, b| b.memory.cmp(&a.memory).then(b.cpu.cmp(&a.cpu)).then(a.instance.cmp(&b.instance)));
        match rooms.iter_mut().find(|r| r.cpu >= need.0 && r.memory >= need.1) {
            Some(room) => {
                room.cpu -= need.0;
                room.memory -= need.1;
                placed += 1;
            }
            None => {
                let Some(closest) = rooms.first() else { break };
                let reason = if closest.memory < need.1 { "RESOURCE:MEMORY" } else { "RESOURCE:CPU" };
                failures.push(Unplaced { instance: closest.instance.clone(), reason });
            }
        }
    }
    (placed, failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(instance: &str, cpu: i64, memory: i64) -> Room {
        Room { instance: instance.into(), cpu, memory }
    }

    #[test]
    fn fits() {
        let rooms = [room("a", 1024, 1024), room("b", 512, 2048)];
        // (need, count, placed, failure reasons)
        type Case = ((i64, i64), usize, usize, &'static [&'static str]);
        let cases: &[Case] = &[
            ((256, 512), 3, 3, &[]),
            // a takes 2 (memory), b takes 2 (CPU): the closest room then lacks CPU.
            ((256, 512), 6, 4, &["RESOURCE:CPU", "RESOURCE:CPU"]),
            ((128, 1024), 4, 3, &["RESOURCE:MEMORY"]),
            ((1024, 256), 3, 1, &["RESOURCE:CPU", "RESOURCE:CPU"]),
            ((0, 4096), 1, 0, &["RESOURCE:MEMORY"]),
        ];
        for (need, count, placed, reasons) in cases {
            let (n, failures) = fit(&rooms, *need, *count);
            assert_eq!(n, *placed, "{need:?} x {count}");
            assert_eq!(failures.iter().map(|f| f.reason).collect::<Vec<_>>(), *reasons, "{need:?} x {count}");
        }
        assert_eq!(fit(&[], (1, 1), 2), (0, vec![]));
    }

    #[test]
    fn reservations() {
        let spec: TaskDefinitionSpec = serde_json::from_value(serde_json::json!({
            "containerDefinitions": [
                {"name": "a", "image": "x", "cpu": 128, "memory": 256},
                {"name": "b", "image": "x", "memoryReservation": 128},
            ]
        }))
        .expect("spec");
        assert_eq!(reservation(&spec), (128, 384));
        let sized = TaskDefinitionSpec {
            cpu: Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String("512".into())),
            ..spec
        };
        assert_eq!(reservation(&sized).0, 512);
    }
}
