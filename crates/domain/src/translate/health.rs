//! ECS health checks as Kubernetes probes, with ECS's defaults (interval 30s, timeout 5s, retries 3).
//! `CMD` runs the command directly (exec); `CMD-SHELL` runs it with `sh -c`.

use k8s_openapi::api::core::v1::{ExecAction, Probe};

use crate::api::task_definition::HealthCheck;

pub const DEFAULT_INTERVAL: i32 = 30;
pub const DEFAULT_TIMEOUT: i32 = 5;
pub const DEFAULT_RETRIES: i32 = 3;

/// The command a health check runs, or None when it is not CMD/CMD-SHELL (rejected at apply time).
pub fn probe_command(check: &HealthCheck) -> Option<Vec<String>> {
    let (first, rest) = check.command.split_first()?;
    match first.as_str() {
        "CMD" if !rest.is_empty() => Some(rest.to_vec()),
        "CMD-SHELL" if !rest.is_empty() => Some(vec!["sh".into(), "-c".into(), rest.join(" ")]),
        _ => None,
    }
}

/// Seconds after a container starts by which a health check that has never passed has failed
/// `retries` times: the start period, then a check at once and every interval, each given its
/// timeout, plus a few seconds for the kubelet's probe scheduling. Not ready after that is UNHEALTHY
/// (a readiness probe only turns a container not-ready after `retries` failures; before its first
/// success there is no other sign of how many checks failed).
pub fn unhealthy_after(check: &HealthCheck) -> i64 {
    const PROBE_SCHEDULING_SLACK: i64 = 5;
    let interval = i64::from(check.interval.unwrap_or(DEFAULT_INTERVAL));
    let timeout = i64::from(check.timeout.unwrap_or(DEFAULT_TIMEOUT));
    let retries = i64::from(check.retries.unwrap_or(DEFAULT_RETRIES)).max(1);
    i64::from(check.start_period.unwrap_or(0)).max(0) + (retries - 1) * interval + timeout + PROBE_SCHEDULING_SLACK
}

/// The readiness probe that reports the container's health (HEALTHY when it passes).
pub fn readiness_probe(check: &HealthCheck) -> Option<Probe> {
    let command = probe_command(check)?;
    Some(Probe {
        exec: Some(ExecAction { command: Some(command) }),
        period_seconds: Some(check.interval.unwrap_or(DEFAULT_INTERVAL)),
        timeout_seconds: Some(check.timeout.unwrap_or(DEFAULT_TIMEOUT)),
        failure_threshold: Some(check.retries.unwrap_or(DEFAULT_RETRIES)),
        success_threshold: Some(1),
        ..Default::default()
    })
}

/// A startup probe covering ECS's `startPeriod` (failures during it do not count; a success ends it),
/// or, for a HEALTHY dependency, the gate the dependent containers wait on.
pub fn startup_probe(check: &HealthCheck, gate: bool) -> Option<Probe> {
    let start_period = check.start_period.unwrap_or(0);
    if start_period <= 0 && !gate {
        return None;
    }
    let command = probe_command(check)?;
    let interval = check.interval.unwrap_or(DEFAULT_INTERVAL);
    let period = interval.clamp(1, 10);
    let retries = check.retries.unwrap_or(DEFAULT_RETRIES);
    // Cover the start period, then ECS's own retries at the check's interval.
    let failure_threshold = (start_period + period - 1) / period + retries * (interval / period).max(1);
    Some(Probe {
        exec: Some(ExecAction { command: Some(command) }),
        period_seconds: Some(period),
        timeout_seconds: Some(check.timeout.unwrap_or(DEFAULT_TIMEOUT)),
        failure_threshold: Some(failure_threshold.max(1)),
        success_threshold: Some(1),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(command: &[&str]) -> HealthCheck {
        HealthCheck { command: command.iter().map(|s| s.to_string()).collect(), ..Default::default() }
    }

    #[test]
    fn commands_and_defaults() {
        let shell = readiness_probe(&check(&["CMD-SHELL", "curl -f http://localhost/ || exit 1"])).expect("probe");
        assert_eq!(
            shell.exec.and_then(|e| e.command),
            Some(vec!["sh".into(), "-c".into(), "curl -f http://localhost/ || exit 1".into()])
        );
        assert_eq!(
            (shell.period_seconds, shell.timeout_seconds, shell.failure_threshold),
            (Some(30), Some(5), Some(3))
        );
        let exec = readiness_probe(&check(&["CMD", "/bin/check", "--fast"])).expect("probe");
        assert_eq!(exec.exec.and_then(|e| e.command), Some(vec!["/bin/check".into(), "--fast".into()]));
        assert!(readiness_probe(&check(&["NONE"])).is_none());
    }

    #[test]
    fn start_period_becomes_a_startup_probe() {
        let mut c = check(&["CMD", "true"]);
        assert!(startup_probe(&c, false).is_none());
        c.start_period = Some(60);
        c.interval = Some(10);
        let p = startup_probe(&c, false).expect("startup probe");
        assert_eq!((p.period_seconds, p.failure_threshold), (Some(10), Some(9)));
    }
}
