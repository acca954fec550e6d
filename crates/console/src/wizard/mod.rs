//! The console's two wizards: Create cluster and the task-definition wizard (issue 34).
//!
//! Each form is data ([`cluster_form`], [`td_form`]) that pure functions turn into the object, so the
//! form and the manifest it shows or downloads cannot disagree with what is applied. Validation is
//! the apiserver's: the object is sent as the user with `dryRun=All` ([`write`]) and its refusal is
//! placed next to the inputs its fields name ([`field_errors`]).

pub mod carried;
pub mod cluster_form;
pub mod field_errors;
pub mod routes;
pub mod td_form;
pub mod write;
