//! Why a Task or Service cannot start, as a value the plans return: the condition it sets, ECS-
//! flavoured reason and message, and whether it is transient (wait a moment: a dependency applied
//! together with it) or needs the user to change something.

pub use crate::api::conditions::PLACED;

pub use crate::api::conditions::reasons::admission as reasons;

/// Something that keeps a Task or Service from starting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub condition: &'static str,
    pub reason: &'static str,
    pub message: String,
    /// Transient problems are retried soon; the others wait for a change.
    pub transient: bool,
}

impl Refusal {
    pub fn new(condition: &'static str, reason: &'static str, message: impl Into<String>, transient: bool) -> Self {
        Self { condition, reason, message: message.into(), transient }
    }

    /// The task definition could not be translated into a Pod.
    pub fn translation(error: impl std::fmt::Display) -> Self {
        Self::new(crate::api::conditions::VALID, reasons::TRANSLATION, error.to_string(), false)
    }
}
