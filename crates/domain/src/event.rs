//! The Kubernetes Event a plan asks for, in ECS terms: Normal for what went as asked, Warning for an
//! unhappy turn (a stop the user did not ask for, a failed deployment, a refusal). The plan decides
//! it together with the status it belongs to, so an Event is published only with its status write.

/// Normal or Warning, as Kubernetes Events have it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Normal,
    Warning,
}

/// One Event: its severity, a bounded reason (a constant or an ECS stop code) and the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcsEvent {
    pub severity: Severity,
    pub reason: String,
    pub message: String,
}

impl EcsEvent {
    pub fn normal(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Normal, reason: reason.into(), message: message.into() }
    }

    pub fn warning(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, reason: reason.into(), message: message.into() }
    }

    /// `warning` decides the severity (for rules that compute it).
    pub fn new(warning: bool, reason: impl Into<String>, message: impl Into<String>) -> Self {
        if warning { Self::warning(reason, message) } else { Self::normal(reason, message) }
    }

    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }
}
