//! Schema helpers for fields whose shape the API server must keep as given.

use schemars::{Schema, SchemaGenerator, json_schema};

/// Free-form JSON object kept verbatim (`x-kubernetes-preserve-unknown-fields`): used for ECS fields
/// whose inner shape we accept but do not interpret, so a pasted definition is never rejected for them.
pub fn preserve_unknown_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

/// A value given either as a number or as a string (ECS writes task-level `cpu`/`memory` as strings
/// such as `"256"` or `"1 vCPU"`; YAML users naturally write `256`).
pub fn int_or_string(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "x-kubernetes-int-or-string": true,
        "anyOf": [{"type": "integer"}, {"type": "string"}],
    })
}
