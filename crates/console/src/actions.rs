//! The console's writes: Run task and Stop task, made as the signed-in identity on the same Task
//! objects `kubectl apply` and the ECS API's RunTask/StopTask write (field manager
//! `kube-ecs-console`), so the Task controller cannot tell them apart and RBAC decides.
//!
//! The form is turned into a `TaskSpec` by a pure function ([`task_spec`]), the way the endpoint's
//! RunTask turns its input: the reference checked with the domain's `Reference::parse`, the group
//! `family:<family>` when none is given, the cluster as its object name.

use kube::api::{Api, Patch, PatchParams, PostParams};
use kube_ecs_api::common::{CapacityProviderStrategyItem, KeyValuePair};
use kube_ecs_api::ecs::{DesiredStatus, LaunchType};
use kube_ecs_api::task::{ContainerOverride, TaskOverride};
use kube_ecs_api::{Task, TaskSpec};
use kube_ecs_domain::revisions::Reference;
use serde::Deserialize;

use crate::error::{ConsoleError, Result};

/// The field manager of the console's writes.
pub const FIELD_MANAGER: &str = "kube-ecs-console";
/// RunTask's bound on count.
const MAX_COUNT: u32 = 10;

crate::extract::csrf_form!(RunTaskForm, StopForm);

/// The Run task form as posted.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RunTaskForm {
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
    #[serde(default)]
    pub task_definition: String,
    #[serde(default)]
    pub count: String,
    /// `""` (the cluster's default), `launch:<LAUNCH TYPE>` or `provider:<capacity provider>`.
    #[serde(default)]
    pub compute: String,
    #[serde(default)]
    pub container: String,
    #[serde(default)]
    pub command: String,
    #[serde(default)]
    pub environment: String,
    /// One a line: `distinctInstance` or `memberOf <expression>` (form_fields).
    #[serde(default)]
    pub placement_constraints: String,
    /// `KEY=value` lines.
    #[serde(default)]
    pub tags: String,
    /// The loaded revision's containers' overrides: `command.<container>`, `environment.<container>`.
    #[serde(flatten)]
    pub per_container: std::collections::BTreeMap<String, String>,
}

impl RunTaskForm {
    /// Whether "Load containers" was pressed (its button's `intent=load`): the form comes back with
    /// a section per container of the chosen revision, and nothing runs.
    pub fn loads_containers(&self) -> bool {
        self.per_container.get("intent").is_some_and(|i| i == "load")
    }
}

/// The Stop form as posted.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct StopForm {
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
    #[serde(default)]
    pub reason: String,
}

/// The spec of each task the form runs on the cluster object `cluster`, and how many.
pub fn task_spec(form: &RunTaskForm, cluster: &str) -> Result<(TaskSpec, u32)> {
    let reference = Reference::parse(form.task_definition.trim()).map_err(ConsoleError::Invalid)?;
    let count = match form.count.trim() {
        "" => 1,
        n => n
            .parse::<u32>()
            .map_err(|_| ConsoleError::Invalid(format!("Desired tasks must be a number, not {n:?}.")))?,
    };
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(ConsoleError::Invalid(format!("Desired tasks must be between 1 and {MAX_COUNT}, not {count}.")));
    }
    let mut spec = TaskSpec {
        task_definition: form.task_definition.trim().to_string(),
        cluster: Some(cluster.to_string()),
        group: Some(format!("family:{}", reference.family)),
        ..Default::default()
    };
    match form.compute.split_once(':') {
        None if form.compute.is_empty() => {}
        Some(("launch", word)) => {
            spec.launch_type = Some(
                serde_json::from_value::<LaunchType>(serde_json::Value::String(word.to_string()))
                    .map_err(|_| ConsoleError::Invalid(format!("Unknown launch type {word:?}.")))?,
            );
        }
        Some(("provider", provider)) if !provider.is_empty() => {
            spec.capacity_provider_strategy = vec![CapacityProviderStrategyItem {
                capacity_provider: provider.to_string(),
                weight: Some(1),
                base: None,
            }];
        }
        _ => return Err(ConsoleError::Invalid(format!("Unknown compute option {:?}.", form.compute))),
    }
    let mut overrides: Vec<ContainerOverride> =
        container_override(&form.container, &form.command, &form.environment)?.into_iter().collect();
    for (key, command) in &form.per_container {
        let Some(name) = key.strip_prefix("command.") else { continue };
        let environment = form.per_container.get(&format!("environment.{name}")).map_or("", String::as_str);
        if let Some(over) = container_override(name, command, environment)? {
            if overrides.iter().any(|o| o.name == over.name) {
                return Err(ConsoleError::Invalid(format!("The container {name} is overridden twice.")));
            }
            overrides.push(over);
        }
    }
    if !overrides.is_empty() {
        spec.overrides = Some(Box::new(TaskOverride { container_overrides: overrides, ..Default::default() }));
    }
    spec.placement_constraints = crate::form_fields::placement_constraints(&form.placement_constraints)?;
    spec.tags = crate::form_fields::tags(&form.tags)?;
    Ok((spec, count))
}

/// One container's override: `name`'s command (a JSON array, or words) and `NAME=value` lines.
fn container_override(name: &str, command: &str, environment: &str) -> Result<Option<ContainerOverride>> {
    let name = name.trim();
    let command = command.trim();
    let environment: Vec<KeyValuePair> = environment
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .map(|line| match line.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                Ok(KeyValuePair { name: Some(k.trim().to_string()), value: Some(v.to_string()) })
            }
            _ => Err(ConsoleError::Invalid(format!("An environment line must be NAME=value: {line:?}."))),
        })
        .collect::<Result<_>>()?;
    if command.is_empty() && environment.is_empty() {
        return Ok(None);
    }
    if name.is_empty() {
        return Err(ConsoleError::Invalid("Name the container the command or environment overrides.".into()));
    }
    let command = match command {
        "" => None,
        json if json.starts_with('[') => Some(
            serde_json::from_str::<Vec<String>>(json)
                .map_err(|e| ConsoleError::Invalid(format!("The command is not a JSON array of strings: {e}.")))?,
        ),
        words => Some(words.split_whitespace().map(str::to_string).collect()),
    };
    Ok(Some(ContainerOverride { name: name.to_string(), command, environment, ..Default::default() }))
}

/// A new task ID: 32 hex digits, as ECS's.
fn task_id() -> String {
    crate::session::random_hex(16)
}

/// Creates the form's tasks as the identity; their IDs. The first refusal stops the run and is
/// returned as the apiserver said it.
pub async fn run_task(client: &kube::Client, ns: &str, cluster: &str, form: &RunTaskForm) -> Result<Vec<String>> {
    let (spec, count) = task_spec(form, cluster)?;
    let api = Api::<Task>::namespaced(client.clone(), ns);
    let params = PostParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
    let mut ids = Vec::new();
    for _ in 0..count {
        let id = task_id();
        api.create(&params, &Task::new(&id, spec.clone())).await?;
        ids.push(id);
    }
    Ok(ids)
}

/// Stops a task as StopTask does: desiredStatus STOPPED, the reason kept unless one is set.
pub async fn stop_task(client: &kube::Client, ns: &str, id: &str, reason: &str) -> Result<()> {
    let api = Api::<Task>::namespaced(client.clone(), ns);
    let task = api.get(id).await?;
    if let Some(owner) = kube_ecs_domain::gitops::owner(&task.metadata) {
        return Err(ConsoleError::Invalid(format!(
            "The task {id} is managed by {} ({}): stop it in Git.",
            owner.tool, owner.evidence
        )));
    }
    let mut spec = serde_json::json!({"desiredStatus": kube_ecs_api::ecs::DesiredStatus::Stopped});
    if task.spec.stopped_reason.is_none() {
        let reason = if reason.trim().is_empty() { "Task stopped by user" } else { reason.trim() };
        spec["stoppedReason"] = reason.into();
    }
    if task.spec.desired_status != Some(DesiredStatus::Stopped) {
        let params = PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
        api.patch(id, &params, &Patch::Merge(serde_json::json!({"spec": spec}))).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn form(pairs: &[(&str, &str)]) -> RunTaskForm {
        let mut form = RunTaskForm { task_definition: "web:3".into(), ..Default::default() };
        for (k, v) in pairs {
            let v = v.to_string();
            match *k {
                "count" => form.count = v,
                "compute" => form.compute = v,
                "container" => form.container = v,
                "command" => form.command = v,
                "environment" => form.environment = v,
                _ => form.task_definition = v,
            }
        }
        form
    }

    #[test]
    fn a_run_becomes_the_spec_runtask_writes() {
        let (spec, count) = task_spec(
            &form(&[
                ("count", "2"),
                ("compute", "provider:real"),
                ("container", "app"),
                ("command", r#"["sh", "-c", "echo hi; exit 3"]"#),
                ("environment", "GREETING=<script>alert(1)</script>\r\nEMPTY=\n"),
            ]),
            "default",
        )
        .expect("valid");
        assert_eq!(count, 2);
        let expected: TaskSpec = serde_json::from_value(serde_json::json!({
            "taskDefinition": "web:3", "cluster": "default", "group": "family:web",
            "capacityProviderStrategy": [{"capacityProvider": "real", "weight": 1}],
            "overrides": {"containerOverrides": [{"name": "app", "command": ["sh", "-c", "echo hi; exit 3"],
                "environment": [{"name": "GREETING", "value": "<script>alert(1)</script>"}, {"name": "EMPTY", "value": ""}]}]},
        }))
        .expect("spec");
        assert_eq!(spec, expected);
    }

    #[test]
    fn a_launch_type_and_plain_words() {
        let (spec, _) =
            task_spec(&form(&[("compute", "launch:FARGATE"), ("container", "app"), ("command", "sleep 5")]), "c")
                .expect("valid");
        assert_eq!(spec.launch_type, Some(LaunchType::Fargate));
        let command = spec.overrides.expect("overrides").container_overrides[0].command.clone();
        assert_eq!(command, Some(vec!["sleep".to_string(), "5".to_string()]));
    }

    #[test]
    fn each_containers_override_placement_and_tags() {
        let mut values = form(&[("container", "app"), ("command", "echo one")]);
        for (k, v) in [
            ("command.sidecar", r#"["sh", "-c", "echo two"]"#),
            ("environment.sidecar", "MODE=<b>x</b>"),
            ("command.idle", ""),
            ("environment.idle", ""),
        ] {
            values.per_container.insert(k.into(), v.into());
        }
        values.placement_constraints = "memberOf attribute:ecs.instance-type =~ t3.*".into();
        values.tags = "team=a".into();
        let (spec, _) = task_spec(&values, "c").expect("valid");
        let expected: TaskSpec = serde_json::from_value(serde_json::json!({
            "taskDefinition": "web:3", "cluster": "c", "group": "family:web",
            "overrides": {"containerOverrides": [
                {"name": "app", "command": ["echo", "one"]},
                {"name": "sidecar", "command": ["sh", "-c", "echo two"], "environment": [{"name": "MODE", "value": "<b>x</b>"}]}]},
            "placementConstraints": [{"type": "memberOf", "expression": "attribute:ecs.instance-type =~ t3.*"}],
            "tags": [{"key": "team", "value": "a"}],
        }))
        .expect("spec");
        assert_eq!(spec, expected);
        values.per_container.insert("command.app".into(), "echo again".into());
        let error = task_spec(&values, "c").expect_err("twice").to_string();
        assert!(error.contains("overridden twice"), "{error}");
    }

    #[test]
    fn what_the_form_refuses() {
        for (pairs, says) in [
            (vec![("td", "web:x")], "revision must be a number"),
            (vec![("count", "11")], "between 1 and 10"),
            (vec![("count", "zero")], "must be a number"),
            (vec![("compute", "launch:BALLOON")], "Unknown launch type"),
            (vec![("command", "echo")], "Name the container"),
            (vec![("container", "app"), ("environment", "NOEQUALS")], "NAME=value"),
            (vec![("container", "app"), ("command", "[1, 2]")], "JSON array of strings"),
        ] {
            let error = task_spec(&form(&pairs), "c").expect_err("refused").to_string();
            assert!(error.contains(says), "{pairs:?}: {error}");
        }
    }
}
