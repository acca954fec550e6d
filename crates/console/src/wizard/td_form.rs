//! The task-definition wizard's form as data, and the two pure translations around it: the posted
//! form -> the spec's JSON ([`TdForm::to_spec`]), and a spec's JSON -> the form
//! ([`TdForm::from_spec`], for "create new revision" and the JSON tab's way back).
//!
//! The spec is built as JSON, not as the typed `TaskDefinitionSpec`: a number typed as `abc` goes
//! to the apiserver as the string it is, and the apiserver's dry run answers for it (naming the
//! field), exactly as it would answer `kubectl apply`. The console adds no rule of its own.
//!
//! Inputs are named `family`, `cpu`, ... for the task and `c<i>.<field>` for container `i`
//! (`c1.dep.0`: container 1's dependency on container 0), as [`super::field_errors`] maps the
//! apiserver's field paths back to them. List-like fields are text, one item per line
//! (`NAME=value`), or comma-separated as ECS's console takes them (entry point, command, health
//! check command; a JSON array when an item holds a comma).
//!
//! What the form has no input for (ulimits, pidMode, an EFS volume's configuration, ...) is
//! carried in a hidden input per level (`carried`, `c<i>.carried`; [`super::carried`]): a new
//! revision made from one that has them keeps them, and the JSON tab can add them.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::carried;

/// ECS's limit of containers per task definition (the CRD's `maxItems`, too).
pub const MAX_CONTAINERS: usize = 10;

/// The launch types offered (ECS's `requiresCompatibilities`).
pub const LAUNCH_TYPES: [&str; 4] = ["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"];
/// dependsOn conditions.
pub const CONDITIONS: [&str; 4] = ["START", "COMPLETE", "SUCCESS", "HEALTHY"];

/// The whole wizard's values, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TdForm {
    pub family: String,
    /// Checked launch types.
    pub requires: Vec<String>,
    pub os: String,
    pub arch: String,
    pub cpu: String,
    pub memory: String,
    pub network_mode: String,
    pub task_role: String,
    pub execution_role: String,
    pub containers: Vec<ContainerForm>,
    /// `name` (a scratch volume) or `name=/host/path`, one per line.
    pub volumes: String,
    /// `key=value`, one per line.
    pub tags: String,
    /// What the task level carries besides the inputs ([`super::carried`]; empty: nothing).
    pub carried: String,
}

/// One container section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerForm {
    pub name: String,
    pub image: String,
    /// `true` or `false`.
    pub essential: String,
    pub credentials: String,
    /// `[hostPort:]containerPort[/protocol] [name=<name>] [app=<http|http2|grpc>]`, one per line.
    pub ports: String,
    pub cpu: String,
    pub memory: String,
    pub memory_reservation: String,
    pub gpu: String,
    /// `NAME=value`, one per line.
    pub env: String,
    /// `NAME=valueFrom`, one per line.
    pub secrets: String,
    pub log_driver: String,
    /// `key=value`, one per line.
    pub log_options: String,
    pub hc_command: String,
    pub hc_interval: String,
    pub hc_timeout: String,
    pub hc_retries: String,
    pub hc_start_period: String,
    pub entry_point: String,
    pub command: String,
    pub working_directory: String,
    /// `volume:/container/path[:ro]`, one per line.
    pub mounts: String,
    /// Index of the container depended upon -> condition.
    pub depends: BTreeMap<usize, String>,
    /// What the container carries besides the inputs ([`super::carried`]; empty: nothing).
    pub carried: String,
}

/// Spec members that are the family object's, not a revision's: kept from the object when a
/// revision is registered, never from the form.
const OBJECT_ONLY: [&str; 2] = ["deregisteredRevisions", "registration"];

impl TdForm {
    /// A new definition: one empty, essential container (what ECS's console opens with).
    pub fn new_definition() -> Self {
        Self { containers: vec![ContainerForm::new_container()], ..Default::default() }
    }

    /// The form from posted `(name, value)` pairs (unknown names ignored; `_`-prefixed ones are the
    /// form's controls).
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut form = Self::default();
        for (key, value) in pairs {
            let value = value.replace("\r\n", "\n");
            match key.as_str() {
                "family" => form.family = value,
                "requires" => form.requires.push(value),
                "os" => form.os = value,
                "arch" => form.arch = value,
                "cpu" => form.cpu = value,
                "memory" => form.memory = value,
                "network_mode" => form.network_mode = value,
                "task_role" => form.task_role = value,
                "execution_role" => form.execution_role = value,
                "volumes" => form.volumes = value,
                "tags" => form.tags = value,
                "carried" => form.carried = value,
                other => {
                    let Some((index, field)) = container_key(other) else { continue };
                    if index >= MAX_CONTAINERS {
                        continue;
                    }
                    while form.containers.len() <= index {
                        form.containers.push(ContainerForm::default());
                    }
                    form.containers[index].set(field, value);
                }
            }
        }
        form
    }

    /// Adds an empty container; false when there are ten already.
    pub fn add_container(&mut self) -> bool {
        if self.containers.len() >= MAX_CONTAINERS {
            return false;
        }
        self.containers.push(ContainerForm::new_container());
        true
    }

    /// Removes container `index`, renumbering the others' dependencies.
    pub fn remove_container(&mut self, index: usize) {
        if index >= self.containers.len() || self.containers.len() == 1 {
            return;
        }
        self.containers.remove(index);
        for c in &mut self.containers {
            c.depends = std::mem::take(&mut c.depends)
                .into_iter()
                .filter(|(j, _)| *j != index)
                .map(|(j, condition)| (if j > index { j - 1 } else { j }, condition))
                .collect();
        }
    }

    /// The TaskDefinition spec the form describes, as JSON.
    pub fn to_spec(&self) -> Value {
        let mut spec = Map::new();
        text(&mut spec, "family", &self.family);
        if !self.requires.is_empty() {
            spec.insert("requiresCompatibilities".into(), json!(self.requires));
        }
        let mut platform = Map::new();
        text(&mut platform, "operatingSystemFamily", &self.os);
        text(&mut platform, "cpuArchitecture", &self.arch);
        if !platform.is_empty() {
            spec.insert("runtimePlatform".into(), Value::Object(platform));
        }
        text(&mut spec, "cpu", &self.cpu);
        text(&mut spec, "memory", &self.memory);
        text(&mut spec, "networkMode", &self.network_mode);
        text(&mut spec, "taskRoleArn", &self.task_role);
        text(&mut spec, "executionRoleArn", &self.execution_role);
        let names: Vec<&str> = self.containers.iter().map(|c| c.name.trim()).collect();
        let containers: Vec<Value> = self.containers.iter().map(|c| c.to_spec(&names)).collect();
        spec.insert("containerDefinitions".into(), Value::Array(containers));
        let volumes: Vec<Value> = lines(&self.volumes)
            .map(|line| match line.split_once('=') {
                Some((name, path)) => json!({"name": name.trim(), "host": {"sourcePath": path.trim()}}),
                None => json!({"name": line}),
            })
            .collect();
        if !volumes.is_empty() {
            spec.insert("volumes".into(), Value::Array(volumes));
        }
        let tags: Vec<Value> = pairs(&self.tags).map(|(k, v)| json!({"key": k, "value": v})).collect();
        if !tags.is_empty() {
            spec.insert("tags".into(), Value::Array(tags));
        }
        carried::put_back(&mut spec, &self.carried);
        Value::Object(spec)
    }

    /// The form showing `spec` (a TaskDefinition spec as JSON), carrying what it has no input for
    /// (the family object's own members excepted).
    pub fn from_spec(spec: &Value) -> Self {
        let mut form = Self::inputs_of(spec);
        let shown = form.to_spec();
        // Each container carries its own (its hidden input goes with it when it is removed).
        let [deregistered, registration] = OBJECT_ONLY;
        form.carried = carried::of(spec, &shown, &[deregistered, registration, "containerDefinitions"]);
        for (i, container) in form.containers.iter_mut().enumerate() {
            container.carried = carried::of(&spec["containerDefinitions"][i], &shown["containerDefinitions"][i], &[]);
        }
        form
    }

    /// The carried members' paths (`pidMode`, `containerDefinitions[0].ulimits`), to say so.
    pub fn carried_members(&self) -> Vec<String> {
        let mut members = carried::members(&self.carried, "");
        for (i, c) in self.containers.iter().enumerate() {
            members.extend(carried::members(&c.carried, &format!("containerDefinitions[{i}].")));
        }
        members
    }

    /// The form's inputs for `spec`, nothing carried.
    fn inputs_of(spec: &Value) -> Self {
        let s = |v: &Value| string_of(v);
        let mut form = Self {
            family: s(&spec["family"]),
            requires: spec["requiresCompatibilities"]
                .as_array()
                .map(|a| a.iter().map(string_of).collect())
                .unwrap_or_default(),
            os: s(&spec["runtimePlatform"]["operatingSystemFamily"]),
            arch: s(&spec["runtimePlatform"]["cpuArchitecture"]),
            cpu: s(&spec["cpu"]),
            memory: s(&spec["memory"]),
            network_mode: s(&spec["networkMode"]),
            task_role: s(&spec["taskRoleArn"]),
            execution_role: s(&spec["executionRoleArn"]),
            ..Default::default()
        };
        let containers = spec["containerDefinitions"].as_array().cloned().unwrap_or_default();
        let names: Vec<String> = containers.iter().map(|c| s(&c["name"])).collect();
        form.containers = containers.iter().take(MAX_CONTAINERS).map(|c| ContainerForm::from_spec(c, &names)).collect();
        if form.containers.is_empty() {
            form.containers.push(ContainerForm::new_container());
        }
        form.volumes = each(&spec["volumes"])
            .map(|v| match v["host"]["sourcePath"].as_str() {
                Some(path) => format!("{}={path}", s(&v["name"])),
                None => s(&v["name"]),
            })
            .collect::<Vec<_>>()
            .join("\n");
        form.tags =
            each(&spec["tags"]).map(|t| format!("{}={}", s(&t["key"]), s(&t["value"]))).collect::<Vec<_>>().join("\n");
        form
    }
}

impl ContainerForm {
    pub fn new_container() -> Self {
        Self { essential: "true".into(), ..Default::default() }
    }

    fn set(&mut self, field: &str, value: String) {
        let slot = match field {
            "name" => &mut self.name,
            "image" => &mut self.image,
            "essential" => &mut self.essential,
            "credentials" => &mut self.credentials,
            "ports" => &mut self.ports,
            "cpu" => &mut self.cpu,
            "memory" => &mut self.memory,
            "memory_reservation" => &mut self.memory_reservation,
            "gpu" => &mut self.gpu,
            "env" => &mut self.env,
            "secrets" => &mut self.secrets,
            "log_driver" => &mut self.log_driver,
            "log_options" => &mut self.log_options,
            "hc_command" => &mut self.hc_command,
            "hc_interval" => &mut self.hc_interval,
            "hc_timeout" => &mut self.hc_timeout,
            "hc_retries" => &mut self.hc_retries,
            "hc_start_period" => &mut self.hc_start_period,
            "entry_point" => &mut self.entry_point,
            "command" => &mut self.command,
            "working_directory" => &mut self.working_directory,
            "mounts" => &mut self.mounts,
            "carried" => &mut self.carried,
            other => {
                if let Some(j) = other.strip_prefix("dep.").and_then(|j| j.parse::<usize>().ok())
                    && !value.is_empty()
                {
                    self.depends.insert(j, value);
                }
                return;
            }
        };
        *slot = value;
    }

    fn to_spec(&self, names: &[&str]) -> Value {
        let mut c = Map::new();
        c.insert("name".into(), json!(self.name.trim()));
        c.insert("image".into(), json!(self.image.trim()));
        match self.essential.as_str() {
            "true" => c.insert("essential".into(), json!(true)),
            "false" => c.insert("essential".into(), json!(false)),
            _ => None,
        };
        if !self.credentials.trim().is_empty() {
            c.insert("repositoryCredentials".into(), json!({"credentialsParameter": self.credentials.trim()}));
        }
        let ports: Vec<Value> = lines(&self.ports).map(port_mapping).collect();
        if !ports.is_empty() {
            c.insert("portMappings".into(), Value::Array(ports));
        }
        number(&mut c, "cpu", &self.cpu);
        number(&mut c, "memory", &self.memory);
        number(&mut c, "memoryReservation", &self.memory_reservation);
        if !self.gpu.trim().is_empty() {
            c.insert("resourceRequirements".into(), json!([{"type": "GPU", "value": self.gpu.trim()}]));
        }
        let env: Vec<Value> = pairs(&self.env).map(|(k, v)| json!({"name": k, "value": v})).collect();
        if !env.is_empty() {
            c.insert("environment".into(), Value::Array(env));
        }
        let secrets: Vec<Value> = pairs(&self.secrets).map(|(k, v)| json!({"name": k, "valueFrom": v})).collect();
        if !secrets.is_empty() {
            c.insert("secrets".into(), Value::Array(secrets));
        }
        if !self.log_driver.trim().is_empty() {
            let options: Map<String, Value> = pairs(&self.log_options).map(|(k, v)| (k, json!(v))).collect();
            let mut log = json!({"logDriver": self.log_driver.trim()});
            if !options.is_empty() {
                log["options"] = Value::Object(options);
            }
            c.insert("logConfiguration".into(), log);
        }
        if !self.hc_command.trim().is_empty() {
            let mut check = Map::new();
            check.insert("command".into(), json!(list(&self.hc_command)));
            number(&mut check, "interval", &self.hc_interval);
            number(&mut check, "timeout", &self.hc_timeout);
            number(&mut check, "retries", &self.hc_retries);
            number(&mut check, "startPeriod", &self.hc_start_period);
            c.insert("healthCheck".into(), Value::Object(check));
        }
        if !self.entry_point.trim().is_empty() {
            c.insert("entryPoint".into(), json!(list(&self.entry_point)));
        }
        if !self.command.trim().is_empty() {
            c.insert("command".into(), json!(list(&self.command)));
        }
        text(&mut c, "workingDirectory", &self.working_directory);
        let mounts: Vec<Value> = lines(&self.mounts).map(mount_point).collect();
        if !mounts.is_empty() {
            c.insert("mountPoints".into(), Value::Array(mounts));
        }
        let depends: Vec<Value> = self
            .depends
            .iter()
            .filter_map(|(j, condition)| {
                names.get(*j).map(|name| json!({"containerName": name, "condition": condition}))
            })
            .collect();
        if !depends.is_empty() {
            c.insert("dependsOn".into(), Value::Array(depends));
        }
        carried::put_back(&mut c, &self.carried);
        Value::Object(c)
    }

    fn from_spec(c: &Value, names: &[String]) -> Self {
        let s = |v: &Value| string_of(v);
        let health = &c["healthCheck"];
        Self {
            name: s(&c["name"]),
            image: s(&c["image"]),
            essential: match c["essential"].as_bool() {
                Some(false) => "false".into(),
                _ => "true".into(),
            },
            credentials: s(&c["repositoryCredentials"]["credentialsParameter"]),
            ports: each(&c["portMappings"]).map(port_line).collect::<Vec<_>>().join("\n"),
            cpu: s(&c["cpu"]),
            memory: s(&c["memory"]),
            memory_reservation: s(&c["memoryReservation"]),
            gpu: each(&c["resourceRequirements"])
                .find(|r| r["type"] == "GPU")
                .map(|r| s(&r["value"]))
                .unwrap_or_default(),
            env: each(&c["environment"])
                .map(|e| format!("{}={}", s(&e["name"]), s(&e["value"])))
                .collect::<Vec<_>>()
                .join("\n"),
            secrets: each(&c["secrets"])
                .map(|e| format!("{}={}", s(&e["name"]), s(&e["valueFrom"])))
                .collect::<Vec<_>>()
                .join("\n"),
            log_driver: s(&c["logConfiguration"]["logDriver"]),
            log_options: c["logConfiguration"]["options"]
                .as_object()
                .map(|o| o.iter().map(|(k, v)| format!("{k}={}", string_of(v))).collect::<Vec<_>>().join("\n"))
                .unwrap_or_default(),
            hc_command: list_text(&health["command"]),
            hc_interval: s(&health["interval"]),
            hc_timeout: s(&health["timeout"]),
            hc_retries: s(&health["retries"]),
            hc_start_period: s(&health["startPeriod"]),
            entry_point: list_text(&c["entryPoint"]),
            command: list_text(&c["command"]),
            working_directory: s(&c["workingDirectory"]),
            mounts: each(&c["mountPoints"])
                .map(|m| {
                    let ro = if m["readOnly"].as_bool() == Some(true) { ":ro" } else { "" };
                    format!("{}:{}{ro}", s(&m["sourceVolume"]), s(&m["containerPath"]))
                })
                .collect::<Vec<_>>()
                .join("\n"),
            depends: each(&c["dependsOn"])
                .filter_map(|d| {
                    let j = names.iter().position(|n| *n == s(&d["containerName"]))?;
                    Some((j, s(&d["condition"])))
                })
                .collect(),
            carried: String::new(),
        }
    }
}

/// Where a revision made from the form of `spec` would differ from it (what the form neither shows
/// nor can carry: a port range), said before the user registers it.
pub fn not_kept(spec: &Value) -> Vec<String> {
    carried::not_kept(spec, &TdForm::from_spec(spec).to_spec(), &OBJECT_ONLY)
}

/// `c3.image` -> (3, "image").
fn container_key(key: &str) -> Option<(usize, &str)> {
    let (index, field) = key.strip_prefix('c')?.split_once('.')?;
    Some((index.parse().ok()?, field))
}

fn each(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

/// A JSON value as the text an input shows (strings bare, numbers as digits, absent as nothing).
fn string_of(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn text(map: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.trim().is_empty() {
        map.insert(key.into(), json!(value.trim()));
    }
}

/// A number when the text is one; otherwise the text, for the apiserver to refuse by name.
fn number(map: &mut Map<String, Value>, key: &str, value: &str) {
    let value = value.trim();
    if value.is_empty() {
        return;
    }
    map.insert(key.into(), value.parse::<i64>().map_or_else(|_| json!(value), |n| json!(n)));
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// `KEY=value` lines (the value kept as typed, spaces and all); a line without `=` is a key with an
/// empty value.
fn pairs(text: &str) -> impl Iterator<Item = (String, String)> + '_ {
    text.lines().filter(|l| !l.trim().is_empty()).map(|line| match line.split_once('=') {
        Some((k, v)) => (k.trim().to_string(), v.to_string()),
        None => (line.trim().to_string(), String::new()),
    })
}

/// A JSON array of strings, or comma-separated items (ECS's console's spelling).
fn list(text: &str) -> Vec<String> {
    let text = text.trim();
    if text.starts_with('[')
        && let Ok(items) = serde_json::from_str::<Vec<String>>(text)
    {
        return items;
    }
    text.split(',').map(|s| s.trim().to_string()).collect()
}

/// The inverse of [`list`]: comma-separated unless an item holds a comma (or is padded), then JSON.
fn list_text(v: &Value) -> String {
    let items: Vec<String> = each(v).map(string_of).collect();
    if items.is_empty() {
        return String::new();
    }
    if items.iter().any(|i| i.contains(',') || i.trim() != i || i.is_empty()) || items[0].starts_with('[') {
        return serde_json::to_string(&items).unwrap_or_default();
    }
    items.join(", ")
}

fn port_mapping(line: &str) -> Value {
    let mut words = line.split_whitespace();
    let mut port = Map::new();
    let first = words.next().unwrap_or_default();
    let (ports, protocol) = match first.split_once('/') {
        Some((ports, protocol)) => (ports, Some(protocol)),
        None => (first, None),
    };
    match ports.split_once(':') {
        Some((host, container)) => {
            number(&mut port, "containerPort", container);
            number(&mut port, "hostPort", host);
        }
        None => number(&mut port, "containerPort", ports),
    }
    if let Some(protocol) = protocol {
        port.insert("protocol".into(), json!(protocol));
    }
    for word in words {
        match word.split_once('=') {
            Some(("name", name)) => port.insert("name".into(), json!(name)),
            Some(("app", app)) => port.insert("appProtocol".into(), json!(app)),
            // Anything else is passed on as a member the schema does not know: the apiserver names it.
            _ => port.insert(word.into(), json!(true)),
        };
    }
    Value::Object(port)
}

fn port_line(p: &Value) -> String {
    let mut line = String::new();
    if !p["hostPort"].is_null() {
        line.push_str(&format!("{}:", string_of(&p["hostPort"])));
    }
    line.push_str(&string_of(&p["containerPort"]));
    if let Some(protocol) = p["protocol"].as_str() {
        line.push_str(&format!("/{protocol}"));
    }
    if let Some(name) = p["name"].as_str() {
        line.push_str(&format!(" name={name}"));
    }
    if let Some(app) = p["appProtocol"].as_str() {
        line.push_str(&format!(" app={app}"));
    }
    line
}

fn mount_point(line: &str) -> Value {
    let (rest, read_only) = match line.strip_suffix(":ro") {
        Some(rest) => (rest, true),
        None => (line, false),
    };
    let mut mount = match rest.split_once(':') {
        Some((volume, path)) => json!({"sourceVolume": volume.trim(), "containerPath": path.trim()}),
        None => json!({"sourceVolume": rest.trim()}),
    };
    if read_only {
        mount["readOnly"] = json!(true);
    }
    mount
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn pairs_of(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn two_containers() -> Vec<(String, String)> {
        pairs_of(&[
            ("_csrf", "x"),
            ("family", "web"),
            ("requires", "EC2"),
            ("os", "LINUX"),
            ("arch", "X86_64"),
            ("cpu", "512"),
            ("memory", "1024"),
            ("network_mode", "awsvpc"),
            ("task_role", "arn:aws:iam::123456789012:role/app"),
            ("c0.name", "app"),
            ("c0.image", "nginx:1.27"),
            ("c0.essential", "true"),
            ("c0.ports", "8080/tcp name=web app=http\r\n9000:9090/udp"),
            ("c0.cpu", "256"),
            ("c0.memory", "512"),
            ("c0.memory_reservation", "256"),
            ("c0.env", "GREETING=<script>alert(1)</script> javascript:x\r\nEMPTY="),
            ("c0.secrets", "TOKEN=api-token:token"),
            ("c0.log_driver", "awslogs"),
            ("c0.log_options", "awslogs-group=/ecs/web"),
            ("c0.entry_point", "sh, -c"),
            ("c0.command", r#"["echo a, b; sleep 3600"]"#),
            ("c0.working_directory", "/srv"),
            ("c0.mounts", "scratch:/tmp/s:ro"),
            ("c0.dep.1", "HEALTHY"),
            ("c1.name", "db"),
            ("c1.image", "redis:7"),
            ("c1.essential", "false"),
            ("c1.gpu", "1"),
            ("c1.hc_command", "CMD-SHELL, redis-cli ping"),
            ("c1.hc_interval", "10"),
            ("c1.hc_retries", "3"),
            ("volumes", "scratch\nlogs=/var/log/app"),
            ("tags", "team=a"),
        ])
    }

    #[test]
    fn a_two_container_form_becomes_the_spec_kubectl_would_apply() {
        let spec = TdForm::from_pairs(&two_containers()).to_spec();
        let expected = json!({
            "family": "web", "requiresCompatibilities": ["EC2"],
            "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
            "cpu": "512", "memory": "1024", "networkMode": "awsvpc", "taskRoleArn": "arn:aws:iam::123456789012:role/app",
            "containerDefinitions": [
                {"name": "app", "image": "nginx:1.27", "essential": true,
                 "portMappings": [{"containerPort": 8080, "protocol": "tcp", "name": "web", "appProtocol": "http"},
                                  {"containerPort": 9090, "hostPort": 9000, "protocol": "udp"}],
                 "cpu": 256, "memory": 512, "memoryReservation": 256,
                 "environment": [{"name": "GREETING", "value": "<script>alert(1)</script> javascript:x"}, {"name": "EMPTY", "value": ""}],
                 "secrets": [{"name": "TOKEN", "valueFrom": "api-token:token"}],
                 "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web"}},
                 "entryPoint": ["sh", "-c"], "command": ["echo a, b; sleep 3600"], "workingDirectory": "/srv",
                 "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/tmp/s", "readOnly": true}],
                 "dependsOn": [{"containerName": "db", "condition": "HEALTHY"}]},
                {"name": "db", "image": "redis:7", "essential": false,
                 "resourceRequirements": [{"type": "GPU", "value": "1"}],
                 "healthCheck": {"command": ["CMD-SHELL", "redis-cli ping"], "interval": 10, "retries": 3}},
            ],
            "volumes": [{"name": "scratch"}, {"name": "logs", "host": {"sourcePath": "/var/log/app"}}],
            "tags": [{"key": "team", "value": "a"}],
        });
        assert_eq!(spec, expected);
        // It reads as the typed spec the operator takes.
        serde_json::from_value::<kube_ecs_api::TaskDefinitionSpec>(spec).expect("a TaskDefinitionSpec");
    }

    #[test]
    fn a_spec_round_trips_through_the_form() {
        let spec = TdForm::from_pairs(&two_containers()).to_spec();
        let again = TdForm::from_spec(&spec);
        assert_eq!(again.to_spec(), spec);
        assert_eq!(again.containers[0].command, r#"["echo a, b; sleep 3600"]"#, "a comma inside an item: JSON");
        assert_eq!(again.containers[0].entry_point, "sh, -c");
    }

    #[test]
    fn fields_without_an_input_are_carried_whole() {
        let spec = json!({"family": "web", "pidMode": "task", "containerDefinitions": [
            {"name": "a", "image": "i", "essential": true,
             "ulimits": [{"name": "nofile", "softLimit": 1, "hardLimit": 2}],
             "linuxParameters": {"initProcessEnabled": true}}]});
        let form = TdForm::from_spec(&spec);
        assert_eq!(
            form.carried_members(),
            vec!["pidMode", "containerDefinitions[0].linuxParameters", "containerDefinitions[0].ulimits"]
        );
        assert_eq!(form.to_spec(), spec, "nothing lost");
        assert_eq!(not_kept(&spec), Vec::<String>::new());
        // Posted back as the page sends it (hidden inputs), and still carried.
        let mut posted = vec![("carried".to_string(), form.carried.clone())];
        posted.extend(pairs_of(&[("family", "web"), ("c0.name", "a"), ("c0.image", "i"), ("c0.essential", "true")]));
        posted.push(("c0.carried".into(), form.containers[0].carried.clone()));
        assert_eq!(TdForm::from_pairs(&posted).to_spec(), spec);
        // An input the user fills wins over a carried member of the same name; junk carries nothing.
        let mut form = TdForm::from_spec(&spec);
        form.containers[0].carried = r#"{"whole": {"workingDirectory": "/old", "ulimits": []}}"#.into();
        form.containers[0].working_directory = "/new".into();
        form.carried = "not json".into();
        let again = form.to_spec();
        assert_eq!(again["containerDefinitions"][0]["workingDirectory"], json!("/new"));
        assert_eq!(again["containerDefinitions"][0]["ulimits"], json!([]));
        assert!(again.get("pidMode").is_none());
        // The family object's own members are never carried from a revision.
        let own = json!({"family": "web", "deregisteredRevisions": [1], "containerDefinitions": [{"name": "a", "image": "i"}]});
        assert_eq!(TdForm::from_spec(&own).carried, "");
    }

    #[test]
    fn what_the_form_shows_in_part_is_carried_and_what_it_cannot_is_named() {
        let spec = json!({"family": "web", "containerDefinitions": [
            {"name": "a", "image": "i", "essential": true,
             "portMappings": [{"containerPort": 80}, {"containerPortRange": "8000-8010", "protocol": "tcp"}],
             "logConfiguration": {"logDriver": "splunk", "secretOptions": [{"name": "k", "valueFrom": "v"}]}}],
            "volumes": [{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}, {"name": "tmp"}]});
        let form = TdForm::from_spec(&spec);
        assert_eq!(
            form.carried_members(),
            vec!["volumes[data].efsVolumeConfiguration", "containerDefinitions[0].logConfiguration.secretOptions"]
        );
        assert_eq!(not_kept(&spec), vec!["containerDefinitions[0].portMappings[1].containerPortRange"]);
        let spec = TdForm::from_pairs(&two_containers()).to_spec();
        assert_eq!(not_kept(&spec), Vec::<String>::new());
    }

    #[test]
    fn what_is_not_a_number_goes_to_the_apiserver_as_typed() {
        let form = TdForm::from_pairs(&pairs_of(&[("c0.name", "a"), ("c0.image", "i"), ("c0.memory", "lots")]));
        assert_eq!(form.to_spec()["containerDefinitions"][0]["memory"], json!("lots"));
    }

    #[test]
    fn ten_containers_at_most_and_removal_renumbers_dependencies() {
        let mut form = TdForm::new_definition();
        while form.add_container() {}
        assert_eq!(form.containers.len(), MAX_CONTAINERS);
        assert!(!form.add_container(), "an 11th container cannot be added");
        let posted = pairs_of(&[("c10.name", "eleventh"), ("c0.name", "a")]);
        assert_eq!(TdForm::from_pairs(&posted).containers.len(), 1, "an 11th posted container is dropped");

        let mut form = TdForm::from_pairs(&pairs_of(&[
            ("c0.name", "a"),
            ("c1.name", "b"),
            ("c2.name", "c"),
            ("c2.dep.0", "START"),
            ("c2.dep.1", "HEALTHY"),
        ]));
        form.remove_container(0);
        assert_eq!(form.containers[1].depends, BTreeMap::from([(0, "HEALTHY".to_string())]));
    }
}
