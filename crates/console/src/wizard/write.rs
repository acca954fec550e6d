//! The wizards' writes, as the signed-in identity: a create (or, for an object that exists, a
//! replace) sent as a raw request so the apiserver's whole refusal comes back, `details.causes`
//! included (kube's typed error keeps only the message). The same call with `dryRun=All` is the
//! live validation: the apiserver runs its schema, CEL rules and admission exactly as for
//! `kubectl apply`, and persists nothing.

use kube::api::PostParams;
use kube::core::Request;
use serde_json::Value;

use crate::actions::FIELD_MANAGER;
use crate::error::{ConsoleError, Result};

/// What the apiserver answered.
#[derive(Debug)]
pub enum Answer {
    /// Accepted (stored, or would be on a dry run): the object as the apiserver returned it.
    Accepted(Value),
    /// Refused: status code, message and the causes' (field, message).
    Refused { code: u16, message: String, causes: Vec<(String, String)> },
}

/// Creates `object` at `collection` (e.g. `/apis/<group>/<version>/namespaces/<ns>/<plural>`), or
/// replaces it when `replace` names it; `dry_run` asks the apiserver only to check.
pub async fn send(
    client: &kube::Client,
    collection: &str,
    object: &Value,
    replace: Option<&str>,
    dry_run: bool,
) -> Result<Answer> {
    let params = PostParams { dry_run, field_manager: Some(FIELD_MANAGER.into()) };
    let body = serde_json::to_vec(object).map_err(|e| ConsoleError::Invalid(e.to_string()))?;
    let request = Request::new(collection);
    let request = match replace {
        Some(name) => request.replace(name, &params, body),
        None => request.create(&params, body),
    }
    .map_err(|e| ConsoleError::Invalid(e.to_string()))?;
    let response = client.send(request.map(kube::client::Body::from)).await?;
    let status = response.status();
    let bytes = axum::body::to_bytes(axum::body::Body::new(response.into_body()), 8 << 20)
        .await
        .map_err(|e| ConsoleError::Unavailable(e.to_string()))?;
    let value: Value =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    if status.is_success() {
        return Ok(Answer::Accepted(value));
    }
    Ok(refusal(status.as_u16(), &value))
}

/// A `Status` as (code, message, causes).
fn refusal(code: u16, status: &Value) -> Answer {
    let message = status["message"].as_str().map_or_else(|| status.to_string(), str::to_string);
    let causes = status["details"]["causes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (c["field"].as_str().unwrap_or_default().to_string(), c["message"].as_str().unwrap_or_default().to_string())
        })
        .collect();
    Answer::Refused { code, message, causes }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_with_causes() {
        let status = serde_json::json!({"kind": "Status", "code": 422, "message": "TaskDefinition.ecs.kube-ecs.dev \"x\" is invalid: [...]",
            "details": {"causes": [{"reason": "FieldValueInvalid", "message": "Invalid value: \"object\": memory must be greater than memoryReservation", "field": "spec.containerDefinitions[0]"}]}});
        match refusal(422, &status) {
            Answer::Refused { code, causes, .. } => {
                assert_eq!(code, 422);
                assert_eq!(causes[0].0, "spec.containerDefinitions[0]");
            }
            other => panic!("{other:?}"),
        }
    }
}
