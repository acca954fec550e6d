//! The embedded, trimmed models of the services (`model/ecs-2014-11-13.json` and
//! `model/ecr-2015-09-21.json`, written by `hack/gen-ecs-wire.py`) and checks of JSON bodies
//! against them: one [`Model`] per service ([`ecs()`], [`ecr()`]; Secrets Manager's and SSM's,
//! [`secretsmanager()`] and [`ssm()`], the same way), and the same checks for all.
//!
//! - [`Model::check_input`] checks a request body as the service's frontend does before it runs an
//!   operation: a member of the wrong JSON type is a `SerializationException` (the first one
//!   found); missing or null required members, enum values outside the enum and the model's length
//!   and range constraints are an `InvalidParameterException` in AWS's validation wording. ECS
//!   counts them all into one message (`2 validation errors detected: Value null at 'family' failed
//!   to satisfy constraint: Member must not be null; ...`); ECR words the first one its own way
//!   (`Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must not be
//!   null'`), see [`ValidationStyle`]. Member paths are AWS's: `overrides.containerOverrides.1.member.name`
//!   (list indexes 1-based, followed by `.member`). Members the model does not define are ignored.
//! - [`Model::parse_input`] checks and then deserializes into the generated request type.
//! - [`Model::check_output`] lists every way a response body departs from the operation's output
//!   shape, for the server's tests: missing required members, wrong types, enum values outside the
//!   enum, constraint violations, null values and members the shape does not define. Paths there
//!   are 0-based (`tasks[0].containers[1].name`). An empty list passes a list's minimum length
//!   there, as AWS answers "none" with `[]` (ECR's ListImages: `"imageIds": []`).
//! - [`Model::check_error`] tells whether an error code may be returned by an operation.
//!
//! The free functions ([`check_input`], [`check_output`], ...) are ECS's: `ecs().check_input(...)`.
//!
//! Not checked: the models' `pattern` constraints (ECS: `TagKey`, `TagValue`; ECR: `RepositoryName`,
//! `RegistryId`, `Base64`, `ImageTagMutabilityExclusionFilterValue`); [`Model::pattern`] gives them
//! to a server that checks them itself.

use std::fmt;
use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// ECS's trimmed model, as `hack/gen-ecs-wire.py` wrote it.
pub const MODEL_JSON: &str = include_str!("../model/ecs-2014-11-13.json");

/// ECR's trimmed model, as `hack/gen-ecs-wire.py` wrote it.
pub const ECR_MODEL_JSON: &str = include_str!("../model/ecr-2015-09-21.json");

/// CloudWatch Logs' trimmed model, as `hack/gen-ecs-wire.py` wrote it.
pub const LOGS_MODEL_JSON: &str = include_str!("../model/logs-2014-03-28.json");

/// Secrets Manager's trimmed model, as `hack/gen-ecs-wire.py` wrote it.
pub const SECRETSMANAGER_MODEL_JSON: &str = include_str!("../model/secretsmanager-2017-10-17.json");

/// SSM's trimmed model (Parameter Store's actions), as `hack/gen-ecs-wire.py` wrote it.
pub const SSM_MODEL_JSON: &str = include_str!("../model/ssm-2014-11-06.json");

/// EventBridge Scheduler's trimmed model, as `hack/gen-ecs-wire.py` wrote it.
pub const SCHEDULER_MODEL_JSON: &str = include_str!("../model/scheduler-2021-06-30.json");

/// Error codes any AWS JSON 1.1 operation may return besides those the model declares for it: the
/// protocol's own and AWS's common errors.
pub const COMMON_ERROR_CODES: &[&str] = &[
    "AccessDeniedException",
    "ExpiredTokenException",
    "IncompleteSignature",
    "InternalFailure",
    "InvalidAction",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "MissingAuthenticationTokenException",
    "NotAuthorized",
    "OptInRequired",
    "RequestExpired",
    "SerializationException",
    "ServiceUnavailable",
    "ThrottlingException",
    "UnknownOperationException",
    "UnrecognizedClientException",
    "ValidationError",
    "ValidationException",
];

/// How a service words the `InvalidParameterException` of [`Model::check_input`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidationStyle {
    /// ECS (AWS's common wording): every violation, counted: `2 validation errors detected: Value
    /// null at 'family' failed to satisfy constraint: Member must not be null; Value 'SPOT' at
    /// 'launchType' failed to satisfy constraint: Member must satisfy enum value set: [...]`.
    Counted,
    /// ECR: the first violation alone, the value not shown, the constraint quoted: `Invalid
    /// parameter at 'imageIds' failed to satisfy constraint: 'Member must have length greater than
    /// or equal to 1'`.
    InvalidParameterAt,
    /// Secrets Manager and SSM: the counted wording of [`ValidationStyle::Counted`], as a
    /// `ValidationException` (their frontends' type for a request the model refuses).
    CountedValidationException,
}

/// One service's trimmed model and the checks of bodies against it.
pub struct Model {
    service: &'static str,
    json: Value,
    validation: ValidationStyle,
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model").field("service", &self.service).field("target_prefix", &self.target_prefix()).finish()
    }
}

/// ECS's model (`model/ecs-2014-11-13.json`; types in the crate's root), parsed once.
pub fn ecs() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| Model::parse("ECS", MODEL_JSON, ValidationStyle::Counted))
}

/// ECR's model (`model/ecr-2015-09-21.json`; types in [`crate::ecr`]), parsed once.
pub fn ecr() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| Model::parse("ECR", ECR_MODEL_JSON, ValidationStyle::InvalidParameterAt))
}

/// CloudWatch Logs' model (`model/logs-2014-03-28.json`; types in [`crate::logs`]), parsed once. Its
/// frontend words a refused request as ECS's does (`1 validation error detected: ...`).
pub fn logs() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| Model::parse("CloudWatch Logs", LOGS_MODEL_JSON, ValidationStyle::Counted))
}

/// Secrets Manager's model (`model/secretsmanager-2017-10-17.json`; types in
/// [`crate::secretsmanager`]), parsed once.
pub fn secretsmanager() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        Model::parse("Secrets Manager", SECRETSMANAGER_MODEL_JSON, ValidationStyle::CountedValidationException)
    })
}

/// SSM's model (`model/ssm-2014-11-06.json`; types in [`crate::ssm`]), parsed once.
pub fn ssm() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| Model::parse("SSM", SSM_MODEL_JSON, ValidationStyle::CountedValidationException))
}

/// EventBridge Scheduler's model (`model/scheduler-2021-06-30.json`; types in [`crate::scheduler`]),
/// parsed once. Its frontend refuses a request the model refuses with the counted wording as a
/// `ValidationException`.
pub fn scheduler() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        Model::parse("EventBridge Scheduler", SCHEDULER_MODEL_JSON, ValidationStyle::CountedValidationException)
    })
}

/// Application Auto Scaling's trimmed model (ECS services' scalable targets and policies).
pub const APPLICATION_AUTOSCALING_MODEL_JSON: &str = include_str!("../model/application-autoscaling-2016-02-06.json");

/// Application Auto Scaling's model (`model/application-autoscaling-2016-02-06.json`; types in
/// [`crate::application_autoscaling`]), parsed once. Its frontend refuses a request the model
/// refuses as a `ValidationException` in the counted wording.
pub fn application_autoscaling() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        Model::parse(
            "Application Auto Scaling",
            APPLICATION_AUTOSCALING_MODEL_JSON,
            ValidationStyle::CountedValidationException,
        )
    })
}

/// Cloud Map's trimmed model (the namespaces, services and instances ECS services register in).
pub const SERVICEDISCOVERY_MODEL_JSON: &str = include_str!("../model/servicediscovery-2017-03-14.json");

/// Cloud Map's model (`model/servicediscovery-2017-03-14.json`; types in [`crate::servicediscovery`]),
/// parsed once. Its frontend refuses a request the model refuses as a `ValidationException` in the
/// counted wording; its own checks answer `InvalidInput`.
pub fn servicediscovery() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        Model::parse("Cloud Map", SERVICEDISCOVERY_MODEL_JSON, ValidationStyle::CountedValidationException)
    })
}

/// The model of the service whose `X-Amz-Target` prefix is `prefix`
/// (`AmazonEC2ContainerServiceV20141113`: ECS; `AmazonEC2ContainerRegistry_V20150921`: ECR).
pub fn for_target_prefix(prefix: &str) -> Option<&'static Model> {
    [ecs(), ecr(), secretsmanager(), ssm(), logs()].into_iter().find(|m| m.target_prefix() == prefix)
}

/// ECS's parsed model.
pub fn model() -> &'static Value {
    ecs().json()
}

/// ECS: [`Model::input_shape`].
pub fn input_shape(operation_name: &str) -> Option<&'static str> {
    ecs().input_shape(operation_name)
}

/// ECS: [`Model::output_shape`].
pub fn output_shape(operation_name: &str) -> Option<&'static str> {
    ecs().output_shape(operation_name)
}

/// ECS: [`Model::operation_errors`].
pub fn operation_errors(operation_name: &str) -> Option<Vec<&'static str>> {
    ecs().operation_errors(operation_name)
}

/// ECS: [`Model::check_error`].
pub fn check_error(code: &str, operation_name: &str) -> bool {
    ecs().check_error(code, operation_name)
}

/// ECS: [`Model::is_server_fault`] (`ServerException`).
pub fn is_server_fault(code: &str) -> bool {
    ecs().is_server_fault(code)
}

/// ECS: [`Model::check_input`].
pub fn check_input(operation_name: &str, body: &Value) -> Result<(), InputError> {
    ecs().check_input(operation_name, body)
}

/// ECS: [`Model::parse_input`].
pub fn parse_input<T: DeserializeOwned>(operation_name: &str, body: &Value) -> Result<T, InputError> {
    ecs().parse_input(operation_name, body)
}

/// ECS: [`Model::normalize_input`].
pub fn normalize_input(operation_name: &str, body: &mut Value) {
    ecs().normalize_input(operation_name, body)
}

/// ECS: [`Model::check_output`].
pub fn check_output(operation_name: &str, body: &Value) -> Vec<String> {
    ecs().check_output(operation_name, body)
}

/// A request rejected by [`Model::check_input`]: the AWS error code (`SerializationException`,
/// `InvalidParameterException` or `UnknownOperationException`) and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub code: &'static str,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for InputError {}

impl Model {
    fn parse(service: &'static str, json: &str, validation: ValidationStyle) -> Model {
        let json = serde_json::from_str(json).unwrap_or_else(|e| panic!("{service}'s embedded model is not JSON: {e}"));
        Model { service, json, validation }
    }

    /// The service's short name: `ECS`, `ECR`.
    pub fn service(&self) -> &str {
        self.service
    }

    /// The parsed trimmed model.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// The service's `X-Amz-Target` prefix (the model's `metadata.targetPrefix`).
    pub fn target_prefix(&self) -> &str {
        self.json["metadata"]["targetPrefix"].as_str().unwrap_or("")
    }

    /// How this service words its validation errors.
    pub fn validation_style(&self) -> ValidationStyle {
        self.validation
    }

    /// Whether the trimmed model has the operation (one kube-ecs serves).
    pub fn supports(&self, operation_name: &str) -> bool {
        self.operation(operation_name).is_some()
    }

    /// Whether the service has the operation at all, served or not (the model's `allOperations`).
    pub fn has_operation(&self, operation_name: &str) -> bool {
        self.json["allOperations"].as_array().is_some_and(|all| all.iter().any(|o| o.as_str() == Some(operation_name)))
    }

    fn operation(&self, name: &str) -> Option<&Value> {
        self.json["operations"].get(name)
    }

    /// A shape of the trimmed model, by name.
    pub fn shape(&self, name: &str) -> Option<&Value> {
        self.json["shapes"].get(name)
    }

    /// The `pattern` constraint of a shape (not checked by [`Model::check_input`]), if it has one.
    pub fn pattern(&self, shape_name: &str) -> Option<&str> {
        self.shape(shape_name)?["pattern"].as_str()
    }

    fn shape_or_null(&self, name: &str) -> &Value {
        &self.json["shapes"][name]
    }

    /// The name of an operation's input shape (`RunTask` -> `RunTaskRequest`), if the model has
    /// the operation and it has an input.
    pub fn input_shape(&self, operation_name: &str) -> Option<&str> {
        self.operation(operation_name)?["input"]["shape"].as_str()
    }

    /// The name of an operation's output shape (`RunTask` -> `RunTaskResponse`).
    pub fn output_shape(&self, operation_name: &str) -> Option<&str> {
        self.operation(operation_name)?["output"]["shape"].as_str()
    }

    /// The error codes the model declares for an operation, in the model's order; `None` for an
    /// operation the trimmed model does not have.
    pub fn operation_errors(&self, operation_name: &str) -> Option<Vec<&str>> {
        let errors = self.operation(operation_name)?["errors"].as_array();
        Some(errors.into_iter().flatten().filter_map(|e| e["shape"].as_str()).collect())
    }

    /// Whether `code` may be returned by `operation_name`: one the model declares for it, or one of
    /// [`COMMON_ERROR_CODES`]. False for an operation the trimmed model does not have, except for
    /// the common codes.
    pub fn check_error(&self, code: &str, operation_name: &str) -> bool {
        COMMON_ERROR_CODES.contains(&code)
            || self.operation_errors(operation_name).is_some_and(|errors| errors.contains(&code))
    }

    /// Whether the model marks an error code as the server's fault (`"fault": true`, HTTP 5xx):
    /// `ServerException` in ECS and ECR. Every other exception is the client's (HTTP 400).
    pub fn is_server_fault(&self, code: &str) -> bool {
        self.shape_or_null(code)["fault"].as_bool().unwrap_or(false)
    }

    /// Checks a request body against the operation's input shape; see the module's documentation
    /// for the rules and the messages.
    pub fn check_input(&self, operation_name: &str, body: &Value) -> Result<(), InputError> {
        let Some(op) = self.operation(operation_name) else {
            let message = if self.has_operation(operation_name) {
                format!("Operation {operation_name} is not supported by this endpoint")
            } else {
                format!("Unknown operation {operation_name}")
            };
            return Err(InputError { code: "UnknownOperationException", message });
        };
        let Some(input) = op["input"]["shape"].as_str() else {
            return Ok(());
        };
        if !body.is_object() {
            return Err(InputError {
                code: "SerializationException",
                message: format!("Cannot deserialize the request body: expected a JSON object, found {}", found(body)),
            });
        }
        let mut check = InputCheck { model: self, serialization: None, violations: Vec::new() };
        check.value(input, body, "");
        if let Some(message) = check.serialization {
            return Err(InputError { code: "SerializationException", message });
        }
        if check.violations.is_empty() {
            return Ok(());
        }
        let code = match self.validation {
            ValidationStyle::CountedValidationException => "ValidationException",
            _ => "InvalidParameterException",
        };
        let message = match self.validation {
            ValidationStyle::Counted | ValidationStyle::CountedValidationException => {
                let n = check.violations.len();
                let all: Vec<String> = check
                    .violations
                    .iter()
                    .map(|v| format!("{} at '{}' failed to satisfy constraint: {}", v.value, v.path, v.constraint))
                    .collect();
                format!("{n} validation error{} detected: {}", if n == 1 { "" } else { "s" }, all.join("; "))
            }
            ValidationStyle::InvalidParameterAt => {
                let v = &check.violations[0];
                format!("Invalid parameter at '{}' failed to satisfy constraint: '{}'", v.path, v.constraint)
            }
        };
        Err(InputError { code, message })
    }

    /// [`Model::check_input`], then deserializes the body into `T` (the operation's generated
    /// request type, e.g. `RunTaskRequest`). Null members are taken as absent and whole numbers
    /// written with a fraction (`2.0`) as integers, as AWS does.
    pub fn parse_input<T: DeserializeOwned>(&self, operation_name: &str, body: &Value) -> Result<T, InputError> {
        self.check_input(operation_name, body)?;
        let mut body = body.clone();
        self.normalize_input(operation_name, &mut body);
        serde_json::from_value(body).map_err(|e| InputError {
            code: "SerializationException",
            message: format!("Cannot deserialize the request body: {e}"),
        })
    }

    /// The checked input as the typed shapes read it: null members dropped, whole-number floats
    /// made integers (what [`Model::parse_input`] does before deserializing), for servers that also
    /// pass members on.
    pub fn normalize_input(&self, operation_name: &str, body: &mut Value) {
        if let Some(input) = self.input_shape(operation_name) {
            self.normalize(input, body);
        }
    }

    /// Every departure of a response body from the operation's output shape; empty when it
    /// conforms.
    pub fn check_output(&self, operation_name: &str, body: &Value) -> Vec<String> {
        let Some(op) = self.operation(operation_name) else {
            return vec![format!("unknown operation {operation_name}")];
        };
        let mut problems = Vec::new();
        match op["output"]["shape"].as_str() {
            Some(output) => self.output_value(output, body, "", &mut problems),
            None if body.as_object().is_some_and(Map::is_empty) => {}
            None => problems.push(format!("(body): {operation_name} has no output; expected {{}}")),
        }
        problems
    }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

fn shape_type(s: &Value) -> &str {
    s["type"].as_str().unwrap_or("")
}

fn found(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "boolean".into(),
        Value::Number(n) => format!("number {n}"),
        Value::String(_) => "string".into(),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
    }
}

/// `expected an integer, found string`, with why a number or a string is not the value wanted.
fn mismatch(s: &Value, v: &Value, lenient: bool) -> String {
    let why = match (shape_type(s), v) {
        ("integer" | "long", Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() != 0.0 => " (not a whole number)",
            _ if !lenient && integer(n, shape_type(s), true).is_some() => " (written with a fraction)",
            _ => " (out of range)",
        },
        ("timestamp", Value::String(_)) if !lenient => " (AWS JSON 1.1 writes epoch seconds as a number)",
        ("timestamp", Value::Number(_) | Value::String(_)) => " (not a valid timestamp)",
        _ => "",
    };
    format!("expected {}, found {}{why}", expected(s), found(v))
}

fn expected(s: &Value) -> &'static str {
    match shape_type(s) {
        "string" | "blob" => "a string",
        "integer" | "long" => "an integer",
        "double" | "float" => "a number",
        "boolean" => "a boolean",
        "timestamp" => "a timestamp (epoch seconds, or an ISO-8601 string)",
        "list" => "a list (JSON array)",
        "map" => "a map (JSON object)",
        _ => "a structure (JSON object)",
    }
}

/// The integer a JSON number stands for, if it is a whole number in the shape's range (`integer`:
/// 32 bits, `long`: 64). `lenient` also takes whole numbers written with a fraction (`2.0`).
fn integer(n: &serde_json::Number, ty: &str, lenient: bool) -> Option<i64> {
    let v = match (n.as_i64(), n.as_f64()) {
        (Some(v), _) => v,
        (None, Some(f)) if lenient && f.fract() == 0.0 && f.abs() < 9.2e18 => f as i64,
        _ => return None,
    };
    (ty == "long" || i32::try_from(v).is_ok()).then_some(v)
}

fn type_ok(s: &Value, v: &Value, lenient: bool) -> bool {
    match (shape_type(s), v) {
        ("string" | "blob", Value::String(_)) => true,
        ("integer" | "long", Value::Number(n)) => integer(n, shape_type(s), lenient).is_some(),
        ("double" | "float", Value::Number(_)) => true,
        ("boolean", Value::Bool(_)) => true,
        ("timestamp", Value::Number(n)) => n.as_f64().and_then(crate::Timestamp::from_epoch_seconds).is_some(),
        ("timestamp", Value::String(t)) => lenient && t.parse::<crate::Timestamp>().is_ok(),
        ("list", Value::Array(_)) => true,
        ("map" | "structure", Value::Object(_)) => true,
        ("structure", _) => s["document"].as_bool().unwrap_or(false),
        _ => false,
    }
}

/// The model's constraints on a value of the right type: enum, and length (strings, lists, maps)
/// or range (numbers). Each violation as AWS words the constraint. `empty_list_ok`: an empty list
/// passes a minimum length.
fn constraints(s: &Value, v: &Value, empty_list_ok: bool) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(values), Some(text)) = (s["enum"].as_array(), v.as_str())
        && !values.iter().any(|e| e.as_str() == Some(text))
    {
        let set: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        out.push(format!("Member must satisfy enum value set: [{}]", set.join(", ")));
    }
    let (min, max) = (s["min"].as_f64(), s["max"].as_f64());
    if min.is_none() && max.is_none() {
        return out;
    }
    let (measure, what) = match v {
        Value::String(t) => (t.encode_utf16().count() as f64, "length"),
        Value::Array(a) => (a.len() as f64, "length"),
        Value::Object(o) => (o.len() as f64, "length"),
        Value::Number(n) => (n.as_f64().unwrap_or(0.0), "value"),
        _ => return out,
    };
    if let Some(min) = min
        && measure < min
        && !(empty_list_ok && v.as_array().is_some_and(Vec::is_empty))
    {
        out.push(format!("Member must have {what} greater than or equal to {min}"));
    }
    if let Some(max) = max
        && measure > max
    {
        out.push(format!("Member must have {what} less than or equal to {max}"));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Input

struct InputCheck<'m> {
    model: &'m Model,
    /// The first member of the wrong JSON type.
    serialization: Option<String>,
    /// Constraint violations, in the order found.
    violations: Vec<Violation>,
}

/// A constraint a request's member fails: `{value} at '{path}' failed to satisfy constraint:
/// {constraint}`, in AWS's wording.
struct Violation {
    /// The value as AWS shows it (`Value 'SPOT'`, `Value null`, `Value`).
    value: String,
    path: String,
    constraint: String,
}

fn input_child(path: &str, segment: &str) -> String {
    if path.is_empty() { segment.to_string() } else { format!("{path}.{segment}") }
}

/// How AWS shows a value in a validation message: strings and numbers quoted, others left out
/// (`Value at 'tags' failed ...`).
fn shown(v: &Value) -> String {
    match v {
        Value::Null => "Value null".into(),
        Value::String(s) => format!("Value '{s}'"),
        Value::Number(n) => format!("Value '{n}'"),
        Value::Bool(b) => format!("Value '{b}'"),
        _ => "Value".into(),
    }
}

impl InputCheck<'_> {
    fn value(&mut self, shape_name: &str, v: &Value, path: &str) {
        if self.serialization.is_some() {
            return;
        }
        let s = self.model.shape_or_null(shape_name);
        if !type_ok(s, v, true) {
            self.serialization = Some(format!("Cannot deserialize value at '{path}': {}", mismatch(s, v, true)));
            return;
        }
        for constraint in constraints(s, v, false) {
            let value = if s["sensitive"].as_bool().unwrap_or(false) { "Value".into() } else { shown(v) };
            self.violations.push(Violation { value, path: path.to_string(), constraint });
        }
        match (shape_type(s), v) {
            ("structure", Value::Object(obj)) if !s["document"].as_bool().unwrap_or(false) => {
                let required = required_members(s);
                for (name, member) in s["members"].as_object().into_iter().flatten() {
                    let child = input_child(path, name);
                    match obj.get(name) {
                        None | Some(Value::Null) => {
                            if required.contains(&name.as_str()) {
                                self.null(&child);
                            }
                        }
                        Some(mv) => self.value(member["shape"].as_str().unwrap_or(""), mv, &child),
                    }
                }
            }
            ("list", Value::Array(items)) => {
                let member = s["member"]["shape"].as_str().unwrap_or("");
                for (i, item) in items.iter().enumerate() {
                    let child = input_child(path, &format!("{}.member", i + 1));
                    if item.is_null() { self.null(&child) } else { self.value(member, item, &child) }
                }
            }
            ("map", Value::Object(entries)) => {
                let key = s["key"]["shape"].as_str().unwrap_or("");
                let value = s["value"]["shape"].as_str().unwrap_or("");
                for (k, item) in entries {
                    for constraint in constraints(self.model.shape_or_null(key), &Value::String(k.clone()), false) {
                        self.violations.push(Violation {
                            value: format!("Value '{k}'"),
                            path: path.to_string(),
                            constraint: format!("Map keys must satisfy constraint: [{constraint}]"),
                        });
                    }
                    let child = input_child(path, k);
                    if item.is_null() { self.null(&child) } else { self.value(value, item, &child) }
                }
            }
            _ => {}
        }
    }

    fn null(&mut self, path: &str) {
        self.violations.push(Violation {
            value: "Value null".into(),
            path: path.to_string(),
            constraint: "Member must not be null".into(),
        });
    }
}

fn required_members(s: &Value) -> Vec<&str> {
    s["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect()
}

impl Model {
    /// Makes a checked body what the generated types read: null members dropped, whole numbers at
    /// integer members written as integers.
    fn normalize(&self, shape_name: &str, v: &mut Value) {
        let s = self.shape_or_null(shape_name);
        match (shape_type(s), v) {
            ("integer" | "long", v @ Value::Number(_)) => {
                if let Value::Number(n) = &*v
                    && n.as_i64().is_none()
                    && let Some(i) = integer(n, "long", true)
                {
                    *v = Value::from(i);
                }
            }
            ("structure", Value::Object(obj)) if !s["document"].as_bool().unwrap_or(false) => {
                obj.retain(|_, mv| !mv.is_null());
                for (name, member) in s["members"].as_object().into_iter().flatten() {
                    if let Some(mv) = obj.get_mut(name) {
                        self.normalize(member["shape"].as_str().unwrap_or(""), mv);
                    }
                }
            }
            ("list", Value::Array(items)) => {
                let member = s["member"]["shape"].as_str().unwrap_or("");
                items.iter_mut().for_each(|item| self.normalize(member, item));
            }
            ("map", Value::Object(entries)) => {
                let value = s["value"]["shape"].as_str().unwrap_or("");
                entries.values_mut().for_each(|item| self.normalize(value, item));
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Output

fn output_child(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_string() } else { format!("{path}.{name}") }
}

fn shown_path(path: &str) -> &str {
    if path.is_empty() { "(body)" } else { path }
}

impl Model {
    fn output_value(&self, shape_name: &str, v: &Value, path: &str, problems: &mut Vec<String>) {
        let s = self.shape_or_null(shape_name);
        let at = shown_path(path);
        if v.is_null() {
            problems.push(format!("{at}: null (AWS leaves an absent member out)"));
            return;
        }
        if !type_ok(s, v, false) {
            problems.push(format!("{at}: {}", mismatch(s, v, false)));
            return;
        }
        // AWS writes "none" as `[]` even where the model's list has a minimum length, which
        // constrains requests: ECR's ListImages and BatchDeleteImage answer `"imageIds": []`.
        for constraint in constraints(s, v, true) {
            let shown = match v {
                Value::String(t) => format!(" ('{t}')"),
                Value::Number(n) => format!(" ({n})"),
                _ => String::new(),
            };
            problems.push(format!("{at}{shown}: fails the model's {shape_name}: {constraint}"));
        }
        match (shape_type(s), v) {
            ("structure", Value::Object(obj)) if !s["document"].as_bool().unwrap_or(false) => {
                let members = s["members"].as_object();
                for name in required_members(s) {
                    if !obj.contains_key(name) {
                        problems.push(format!("{}: required member of {shape_name} missing", output_child(path, name)));
                    }
                }
                for (name, mv) in obj {
                    let child = output_child(path, name);
                    match members.and_then(|m| m.get(name)) {
                        Some(member) => self.output_value(member["shape"].as_str().unwrap_or(""), mv, &child, problems),
                        None => problems.push(format!("{child}: not a member of {shape_name}")),
                    }
                }
            }
            ("list", Value::Array(items)) => {
                let member = s["member"]["shape"].as_str().unwrap_or("");
                for (i, item) in items.iter().enumerate() {
                    self.output_value(member, item, &format!("{path}[{i}]"), problems);
                }
            }
            ("map", Value::Object(entries)) => {
                let key = s["key"]["shape"].as_str().unwrap_or("");
                let value = s["value"]["shape"].as_str().unwrap_or("");
                for (k, item) in entries {
                    for constraint in constraints(self.shape_or_null(key), &Value::String(k.clone()), false) {
                        problems.push(format!("{at}: key '{k}' fails the model's {key}: {constraint}"));
                    }
                    self.output_value(value, item, &format!("{path}[{}]", Value::String(k.clone())), problems);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod ecr_tests;
#[cfg(test)]
mod secrets_tests;
#[cfg(test)]
mod tests;
