//! GetOperation: a namespace's creation or deletion, which Cloud Map runs asynchronously. The
//! object is written at once here, so an operation's id names what it did and to which namespace
//! (`create-ns-...`, `delete-ns-...`), and its status is read from the namespace: SUCCESS once it
//! exists (creation) or is gone (deletion), PENDING while a deleted one is still finalising.

use kube_ecs_wire::servicediscovery as wire;

use super::namespaces;
use crate::call::Call;
use crate::error::{EcsError, ErrorCode};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Create,
    Delete,
}

impl Verb {
    fn word(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Delete => "delete",
        }
    }
}

/// The id of `verb` on namespace `namespace_id`.
pub fn id(verb: Verb, namespace_id: &str) -> String {
    format!("{}-{namespace_id}", verb.word())
}

fn parse(id: &str) -> Option<(Verb, &str)> {
    [Verb::Create, Verb::Delete].into_iter().find_map(|verb| {
        let namespace = id.strip_prefix(verb.word())?.strip_prefix('-')?;
        namespace.starts_with("ns-").then_some((verb, namespace))
    })
}

pub async fn get(call: &Call<'_>, input: wire::GetOperationRequest) -> Result<wire::GetOperationResponse, EcsError> {
    let not_found =
        || EcsError::new(ErrorCode::OperationNotFound, format!("Operation not found: {}", input.operation_id));
    let (verb, namespace_id) = parse(&input.operation_id).ok_or_else(not_found)?;
    let all = namespaces::api(call);
    let found =
        call.list(&all, None).await?.into_iter().find(|n| namespaces::id_of(n).as_deref() == Some(namespace_id));
    let (kind, status, created) = match (verb, &found) {
        (Verb::Create, Some(n)) => ("CREATE_NAMESPACE", "SUCCESS", n.metadata.creation_timestamp.as_ref().map(|t| t.0)),
        (Verb::Create, None) => return Err(not_found()),
        (Verb::Delete, None) => ("DELETE_NAMESPACE", "SUCCESS", None),
        (Verb::Delete, Some(n)) => ("DELETE_NAMESPACE", "PENDING", n.metadata.deletion_timestamp.as_ref().map(|t| t.0)),
    };
    let date = Some(created.unwrap_or_else(jiff::Timestamp::now).into());
    Ok(wire::GetOperationResponse {
        operation: Some(wire::Operation {
            id: Some(input.operation_id.clone()),
            owner_account: Some(call.arns().account().to_string()),
            r#type: Some(kind.into()),
            status: Some(status.into()),
            error_message: None,
            error_code: None,
            create_date: date,
            update_date: date,
            targets: [("NAMESPACE".to_string(), namespace_id.to_string())].into(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_name_the_verb_and_the_namespace() {
        assert_eq!(parse(&id(Verb::Create, "ns-0a1b")), Some((Verb::Create, "ns-0a1b")));
        assert_eq!(parse(&id(Verb::Delete, "ns-0a1b")), Some((Verb::Delete, "ns-0a1b")));
        assert_eq!(parse("create-srv-1"), None);
        assert_eq!(parse("gv4g5meo7ndmeh4fqskygvk23d2fijwa-k9302yzd"), None);
    }
}
