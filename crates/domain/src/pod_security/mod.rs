//! Task security: the Pods kube-ecs creates for Tasks and Services are held to the Kubernetes Pod
//! Security Standards, so that creating a Task never gets anyone a Pod that Pod Security admission
//! would refuse them directly. Pure domain code: the checks on a PodSpec (`checks`), the hardening
//! the `restricted` level needs (`harden`) and the decision with its messages (`policy`).

pub mod checks;
mod harden;
pub mod policy;
#[cfg(test)]
mod tests;

pub use policy::{SecurityInputs, SecurityRefusal, reasons, secure};
