//! ECS deployment percentages as Kubernetes rolling-update bounds.
//!
//! ECS: at most `floor(desired * maximumPercent / 100)` tasks run or pend during a deployment, and at
//! least `ceil(desired * minimumHealthyPercent / 100)` stay healthy. Kubernetes expresses the same
//! bounds as absolute `maxSurge` (above desired) and `maxUnavailable` (below desired).

/// ECS defaults: REPLICA 200/100, DAEMON 100/0.
pub const DEFAULT_MAXIMUM_PERCENT: i32 = 200;
pub const DEFAULT_MINIMUM_HEALTHY_PERCENT: i32 = 100;
pub const DAEMON_MAXIMUM_PERCENT: i32 = 100;
pub const DAEMON_MINIMUM_HEALTHY_PERCENT: i32 = 0;

/// Rolling-update bounds for a REPLICA service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RollingBounds {
    pub max_surge: i32,
    pub max_unavailable: i32,
    /// Both bounds were 0, which would deadlock (Kubernetes rejects it, ECS cannot deploy either):
    /// `max_unavailable` was raised to 1.
    pub adjusted: bool,
}

/// `maxSurge`/`maxUnavailable` for `desired` tasks under ECS's percentages and rounding.
pub fn replica_bounds(desired: i32, maximum_percent: i32, minimum_healthy_percent: i32) -> RollingBounds {
    let desired = desired.max(0) as i64;
    let max_tasks = desired * maximum_percent.max(0) as i64 / 100; // rounded down
    let min_healthy = (desired * minimum_healthy_percent.clamp(0, 100) as i64 + 99) / 100; // rounded up
    let max_surge = (max_tasks - desired).max(0) as i32;
    let max_unavailable = (desired - min_healthy).max(0) as i32;
    if max_surge == 0 && max_unavailable == 0 {
        RollingBounds { max_surge: 0, max_unavailable: 1, adjusted: true }
    } else {
        RollingBounds { max_surge, max_unavailable, adjusted: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecs_percentages_map_to_kubernetes_bounds() {
        // (desired, max%, min%) -> (surge, unavailable, adjusted)
        let cases = [
            ((3, 200, 100), (3, 0, false)),
            ((4, 150, 50), (2, 2, false)),
            ((3, 150, 50), (1, 1, false)), // floor(4.5)=4 -> surge 1; ceil(1.5)=2 -> unavailable 1
            ((5, 120, 90), (1, 0, false)), // floor(6)=6 -> surge 1; ceil(4.5)=5 -> unavailable 0
            ((10, 100, 50), (0, 5, false)),
            ((1, 100, 100), (0, 1, true)),
            ((0, 200, 100), (0, 1, true)),
            ((2, 200, 0), (2, 2, false)),
        ];
        for ((desired, max, min), (surge, unavailable, adjusted)) in cases {
            assert_eq!(
                replica_bounds(desired, max, min),
                RollingBounds { max_surge: surge, max_unavailable: unavailable, adjusted },
                "desired {desired}, max {max}%, min {min}%"
            );
        }
    }
}
