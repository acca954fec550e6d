//! Apply-time validation: bounds and CEL rules (`x-kubernetes-validations`) added to the schemas
//! generated from the Rust types, so `kubectl apply` rejects what ECS would reject, with a message
//! naming the rule (ECS's wording where ECS has one).
//!
//! Kept as one table per kind, next to each other, rather than scattered over field attributes: the
//! rules read as a specification and their CEL cost bounds (maxItems, maxLength) sit beside them.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde_json::{Value, json};

/// Adds the rules of `crd`'s kind to its schema.
pub fn apply(crd: &mut CustomResourceDefinition) {
    let kind = crd.spec.names.kind.clone();
    for version in &mut crd.spec.versions {
        let Some(schema) = version.schema.as_mut().and_then(|s| s.open_api_v3_schema.as_mut()) else { continue };
        let Ok(mut root) = serde_json::to_value(&*schema) else { continue };
        match kind.as_str() {
            "TaskDefinition" => task_definition(&mut root),
            "Task" => task(&mut root),
            "Service" => service(&mut root),
            "EcsCluster" => cluster(&mut root),
            "Repository" => repository(&mut root),
            "ScheduledTask" => crate::scheduled_task_rules::scheduled_task(&mut root),
            "DiscoveryNamespace" => crate::cloud_map_rules::discovery_namespace(&mut root),
            "DiscoveryService" => crate::cloud_map_rules::discovery_service(&mut root),
            _ => {}
        }
        drop_null_from_enums(&mut root);
        if let Ok(patched) = serde_json::from_value(root) {
            *schema = patched;
        }
    }
}

/// An optional vocabulary field (`Option<StopCode>`) gets `null` among its enum values from schemars;
/// `nullable: true` already says it may be absent, and the enum lists the values a user may write.
fn drop_null_from_enums(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if let Some(Value::Array(values)) = map.get_mut("enum") {
                values.retain(|v| !v.is_null());
            }
            map.values_mut().for_each(drop_null_from_enums);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null_from_enums),
        _ => {}
    }
}

/// The schema node at `path`: dot-separated property names, `[]` after a name for its items.
fn at<'a>(root: &'a mut Value, path: &str) -> &'a mut Value {
    let mut node = root;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (name, items) = match segment.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (segment, false),
        };
        node = &mut node["properties"][name];
        if items {
            node = &mut node["items"];
        }
    }
    node
}

pub(crate) fn rule(root: &mut Value, path: &str, rule: &str, message: &str) {
    validation(root, path, json!({"rule": rule, "message": message}));
}

/// A rule whose message is computed (`messageExpression`) from the value refused; `message` stands in
/// if the expression cannot be evaluated.
fn explained_rule(root: &mut Value, path: &str, rule: &str, message: &str, message_expression: &str) {
    validation(root, path, json!({"rule": rule, "message": message, "messageExpression": message_expression}));
}

fn validation(root: &mut Value, path: &str, validation: Value) {
    let node = at(root, path);
    let rules = node.as_object_mut().map(|o| o.entry("x-kubernetes-validations").or_insert_with(|| json!([])));
    if let Some(Value::Array(rules)) = rules {
        rules.push(validation);
    }
}

pub(crate) fn set(root: &mut Value, path: &str, key: &str, value: Value) {
    if let Some(node) = at(root, path).as_object_mut() {
        node.insert(key.into(), value);
    }
}

const NAME_PATTERN: &str = "^[a-zA-Z0-9_-]{1,255}$";
const REFERENCE_PATTERN: &str = "^[a-zA-Z0-9_-]{1,255}(:[1-9][0-9]{0,8})?$";

/// Fargate's valid task cpu -> memory (MiB) combinations.
fn fargate_pairs() -> String {
    let range =
        |from: i64, to: i64, step: i64| (from..=to).step_by(step as usize).map(|m| m.to_string()).collect::<Vec<_>>();
    let pairs = [
        ("256", vec!["512".to_string(), "1024".into(), "2048".into()]),
        ("512", range(1024, 4096, 1024)),
        ("1024", range(2048, 8192, 1024)),
        ("2048", range(4096, 16384, 1024)),
        ("4096", range(8192, 30720, 1024)),
        ("8192", range(16384, 61440, 4096)),
        ("16384", range(32768, 122880, 8192)),
    ];
    let entries: Vec<String> = pairs
        .iter()
        .map(|(cpu, memories)| {
            format!("'{cpu}': [{}]", memories.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(", "))
        })
        .collect();
    format!("{{{}}}", entries.join(", "))
}

/// CEL for a task-level `cpu` or `memory` as a plain number string: ECS accepts `"1024"`, `1024`,
/// `"1 vCPU"` / `"1vcpu"` (x1024 CPU units) and `"2 GB"` / `"2GB"` (x1024 MiB), any case. (CRD CEL has
/// no `cel.bind`, so the normalised value is spelled out where it is used.)
fn units(field: &str, unit: &str) -> String {
    let v = format!("string({field}).lowerAscii().replace(' ', '')");
    format!("({v}.matches('^[0-9]*[.]?[0-9]+{unit}$') ? string(int(double({v}.replace('{unit}', '')) * 1024.0)) : {v})")
}

fn task_definition(root: &mut Value) {
    let c = "spec.containerDefinitions";
    set(root, c, "minItems", json!(1));
    set(root, c, "maxItems", json!(10));
    set(root, "spec.family", "pattern", json!(NAME_PATTERN));
    set(root, "spec.family", "maxLength", json!(255));
    set(root, "spec.registration", "maxLength", json!(128));
    // Bounds the cost of the Fargate size rule; ECS's values ("1024", "0.25 vCPU", "30 GB") are short.
    set(root, "spec.cpu", "maxLength", json!(32));
    set(root, "spec.memory", "maxLength", json!(32));
    set(root, &format!("{c}[].name"), "maxLength", json!(255));
    set(root, &format!("{c}[].name"), "pattern", json!(NAME_PATTERN));
    set(root, &format!("{c}[].dependsOn"), "maxItems", json!(10));
    set(root, &format!("{c}[].dependsOn[].containerName"), "maxLength", json!(255));
    set(root, &format!("{c}[].portMappings"), "maxItems", json!(100));
    set(root, &format!("{c}[].portMappings[].protocol"), "enum", json!(["tcp", "udp"]));
    set(root, &format!("{c}[].portMappings[].appProtocol"), "enum", json!(["http", "http2", "grpc"]));
    set(root, &format!("{c}[].healthCheck.command"), "maxItems", json!(64));
    set(root, &format!("{c}[].ulimits"), "maxItems", json!(64));
    set(root, "spec.networkMode", "enum", json!(["bridge", "host", "awsvpc", "none"]));
    set(root, "spec.requiresCompatibilities", "maxItems", json!(4));
    set(root, "spec.placementConstraints", "maxItems", json!(10));
    set(root, "spec.placementConstraints[].type", "enum", json!(["memberOf"]));
    set(root, "spec.pidMode", "enum", json!(["host", "task"]));
    set(root, "spec.ipcMode", "enum", json!(["host", "task", "none"]));
    set(root, "spec.deregisteredRevisions", "maxItems", json!(10000));

    rule(
        root,
        c,
        "self.exists(c, !has(c.essential) || c.essential)",
        "at least one container must be essential (essential defaults to true)",
    );
    rule(
        root,
        c,
        "self.all(c, self.exists_one(d, d.name == c.name))",
        "container names must be unique within a task definition",
    );
    rule(
        root,
        c,
        "self.all(c, !has(c.dependsOn) || c.dependsOn.all(d, d.containerName != c.name))",
        "dependsOn: a container cannot depend on itself",
    );
    rule(
        root,
        c,
        "self.all(c, !has(c.dependsOn) || c.dependsOn.all(d, self.exists(t, t.name == d.containerName)))",
        "dependsOn.containerName must name a container of this task definition",
    );
    rule(
        root,
        c,
        "self.all(c, !has(c.dependsOn) || c.dependsOn.all(d, !(d.condition in ['COMPLETE', 'SUCCESS']) || self.exists(t, t.name == d.containerName && has(t.essential) && !t.essential)))",
        "dependsOn: a COMPLETE or SUCCESS dependency must target a non-essential container (an essential container that exits stops the task)",
    );
    rule(
        root,
        c,
        "self.all(c, !has(c.dependsOn) || c.dependsOn.all(d, d.condition != 'HEALTHY' || self.exists(t, t.name == d.containerName && has(t.healthCheck))))",
        "dependsOn: a HEALTHY dependency must target a container with a healthCheck",
    );

    let item = format!("{c}[]");
    rule(root, &item, "!has(self.memory) || self.memory >= 6", "memory: a container needs at least 6 MiB");
    rule(
        root,
        &item,
        "!has(self.memoryReservation) || self.memoryReservation >= 6",
        "memoryReservation: a container needs at least 6 MiB",
    );
    rule(
        root,
        &item,
        "!has(self.memory) || !has(self.memoryReservation) || self.memory > self.memoryReservation",
        "memory must be greater than memoryReservation (the hard limit above the soft limit)",
    );
    rule(
        root,
        &item,
        "!has(self.cpu) || (self.cpu >= 0 && self.cpu <= 196608)",
        "cpu: container CPU units must be between 0 and 196608",
    );
    rule(
        root,
        &item,
        "!has(self.stopTimeout) || (self.stopTimeout >= 0 && self.stopTimeout <= 120)",
        "stopTimeout must be between 0 and 120 seconds",
    );
    rule(
        root,
        &item,
        "!has(self.startTimeout) || (self.startTimeout >= 2 && self.startTimeout <= 600)",
        "startTimeout must be between 2 and 600 seconds",
    );
    rule(
        root,
        &item,
        "!has(self.portMappings) || self.portMappings.all(p, !has(p.containerPort) || self.portMappings.exists_one(q, has(q.containerPort) && q.containerPort == p.containerPort && (has(q.protocol) ? q.protocol : 'tcp') == (has(p.protocol) ? p.protocol : 'tcp')))",
        "portMappings: a containerPort may appear once per protocol",
    );
    rule(
        root,
        &item,
        "!has(self.ulimits) || self.ulimits.all(u, u.softLimit <= u.hardLimit)",
        "ulimits: softLimit must not exceed hardLimit",
    );
    let port = format!("{c}[].portMappings[]");
    rule(
        root,
        &port,
        "!has(self.containerPort) || (self.containerPort >= 0 && self.containerPort <= 65535)",
        "containerPort must be between 0 and 65535",
    );
    rule(
        root,
        &port,
        "!has(self.hostPort) || (self.hostPort >= 0 && self.hostPort <= 65535)",
        "hostPort must be between 0 and 65535",
    );
    let health = format!("{c}[].healthCheck");
    rule(
        root,
        &health,
        "self.command.size() >= 1 && self.command[0] in ['CMD', 'CMD-SHELL', 'NONE']",
        "healthCheck.command must start with CMD or CMD-SHELL (or be [\"NONE\"])",
    );
    rule(
        root,
        &health,
        "self.command[0] == 'NONE' || self.command.size() >= 2",
        "healthCheck.command needs the command after CMD or CMD-SHELL",
    );
    rule(
        root,
        &health,
        "!has(self.interval) || (self.interval >= 5 && self.interval <= 300)",
        "healthCheck.interval must be between 5 and 300 seconds",
    );
    rule(
        root,
        &health,
        "!has(self.timeout) || (self.timeout >= 2 && self.timeout <= 60)",
        "healthCheck.timeout must be between 2 and 60 seconds",
    );
    rule(
        root,
        &health,
        "!has(self.retries) || (self.retries >= 1 && self.retries <= 10)",
        "healthCheck.retries must be between 1 and 10",
    );
    rule(
        root,
        &health,
        "!has(self.startPeriod) || (self.startPeriod >= 0 && self.startPeriod <= 300)",
        "healthCheck.startPeriod must be between 0 and 300 seconds",
    );
    rule(
        root,
        "spec.placementConstraints[]",
        "self.type != 'memberOf' || has(self.expression)",
        "placementConstraints: memberOf needs an expression",
    );

    rule(
        root,
        "spec",
        "!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || (has(self.cpu) && has(self.memory))",
        "requiresCompatibilities FARGATE: task-level cpu and memory are required",
    );
    rule(
        root,
        "spec",
        &format!(
            "!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || !has(self.cpu) || !has(self.memory) || ({cpu} in {pairs} && {memory} in {pairs}[{cpu}])",
            cpu = units("self.cpu", "vcpu"),
            memory = units("self.memory", "gb"),
            pairs = fargate_pairs()
        ),
        "No Fargate configuration exists for the given cpu and memory (requiresCompatibilities FARGATE; e.g. cpu 256 with memory 512, 1024 or 2048)",
    );
    rule(
        root,
        "spec",
        "!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || !has(self.networkMode) || self.networkMode == 'awsvpc'",
        "requiresCompatibilities FARGATE: networkMode must be awsvpc",
    );
    // Fargate runs no privileged containers and shares nothing of the host, whatever the cluster allows.
    rule(
        root,
        "spec",
        "!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || self.containerDefinitions.all(c, !has(c.privileged) || !c.privileged)",
        "requiresCompatibilities FARGATE: privileged containers are not supported on Fargate (containerDefinitions[].privileged must be false)",
    );
    rule(
        root,
        "spec",
        "!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || ((!has(self.pidMode) || self.pidMode == 'task') && !has(self.ipcMode))",
        "requiresCompatibilities FARGATE: pidMode must be task or omitted, and ipcMode is not supported",
    );
    rule(
        root,
        "spec",
        "!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || !has(self.volumes) || self.volumes.all(v, !has(v.host) || !has(v.host.sourcePath))",
        "requiresCompatibilities FARGATE: host volumes with a sourcePath are not supported on Fargate",
    );
    rule(
        root,
        "spec",
        "!has(self.networkMode) || self.networkMode != 'awsvpc' || !has(self.containerDefinitions) || self.containerDefinitions.all(c, !has(c.portMappings) || c.portMappings.all(p, !has(p.hostPort) || !has(p.containerPort) || p.hostPort == p.containerPort))",
        "networkMode awsvpc: hostPort must equal containerPort or be omitted",
    );
}

pub(crate) fn placement(root: &mut Value, spec: &str) {
    set(root, &format!("{spec}.placementConstraints"), "maxItems", json!(10));
    set(root, &format!("{spec}.placementConstraints[].type"), "enum", json!(["memberOf", "distinctInstance"]));
    rule(
        root,
        &format!("{spec}.placementConstraints[]"),
        "self.type != 'memberOf' || has(self.expression)",
        "placementConstraints: memberOf needs an expression",
    );
    let strategy = format!("{spec}.capacityProviderStrategy");
    set(root, &strategy, "maxItems", json!(20));
    rule(
        root,
        &strategy,
        "self.filter(i, has(i.base) && i.base > 0).size() <= 1",
        "capacityProviderStrategy: only one capacity provider can have a base defined",
    );
    rule(
        root,
        &strategy,
        "self.all(i, self.exists_one(j, j.capacityProvider == i.capacityProvider))",
        "capacityProviderStrategy: each capacity provider may appear once",
    );
    set(root, &format!("{strategy}[].capacityProvider"), "maxLength", json!(255));
    rule(
        root,
        &format!("{strategy}[]"),
        "!has(self.base) || (self.base >= 0 && self.base <= 100000)",
        "base must be between 0 and 100000",
    );
    rule(
        root,
        &format!("{strategy}[]"),
        "!has(self.weight) || (self.weight >= 0 && self.weight <= 1000)",
        "weight must be between 0 and 1000",
    );
}

pub(crate) fn reference(root: &mut Value, path: &str) {
    set(root, path, "maxLength", json!(266));
    rule(
        root,
        path,
        &format!("self.matches('{REFERENCE_PATTERN}')"),
        "taskDefinition must be `family` or `family:revision` (a family is 1-255 letters, digits, hyphens and underscores)",
    );
}

fn task(root: &mut Value) {
    reference(root, "spec.taskDefinition");
    // ECS's own limits: a group up to 255 characters, startedBy up to 128 of these.
    set(root, "spec.group", "maxLength", json!(255));
    set(root, "spec.startedBy", "maxLength", json!(128));
    set(root, "spec.startedBy", "pattern", json!("^[a-zA-Z0-9_/-]{1,128}$"));
    placement(root, "spec");
    set(root, "spec.overrides.containerOverrides", "maxItems", json!(10));
    rule(
        root,
        "spec.overrides.containerOverrides[]",
        "!has(self.memory) || self.memory >= 6",
        "containerOverrides.memory: at least 6 MiB",
    );
    rule(
        root,
        "spec.overrides.containerOverrides[]",
        "!has(self.cpu) || self.cpu >= 0",
        "containerOverrides.cpu must not be negative",
    );
    // A task runs what it was started with; only desiredStatus/stoppedReason change afterwards (StopTask).
    for field in [
        "taskDefinition",
        "cluster",
        "overrides",
        "group",
        "startedBy",
        "capacityProviderStrategy",
        "placementConstraints",
    ] {
        rule(
            root,
            "spec",
            &format!(
                "has(self.{field}) == has(oldSelf.{field}) && (!has(self.{field}) || self.{field} == oldSelf.{field})"
            ),
            &format!("spec.{field} is immutable: a task runs what it was started with (stop it and run a new Task)"),
        );
    }
    rule(
        root,
        "spec",
        "!has(oldSelf.desiredStatus) || oldSelf.desiredStatus != 'STOPPED' || (has(self.desiredStatus) && self.desiredStatus == 'STOPPED')",
        "desiredStatus: a stopped task cannot be started again (run a new Task)",
    );
}

fn service(root: &mut Value) {
    reference(root, "spec.taskDefinition");
    set(root, "spec.serviceName", "maxLength", json!(255));
    set(root, "spec.serviceName", "pattern", json!(NAME_PATTERN));
    placement(root, "spec");
    set(root, "spec.placementStrategy", "maxItems", json!(5));
    set(root, "spec.placementStrategy[].type", "enum", json!(["random", "spread", "binpack"]));
    set(root, "spec.loadBalancers", "maxItems", json!(5));
    rule(root, "spec", "!has(self.desiredCount) || self.desiredCount >= 0", "desiredCount must not be negative");
    rule(
        root,
        "spec",
        "!has(self.schedulingStrategy) || self.schedulingStrategy != 'DAEMON' || !has(self.placementStrategy)",
        "placementStrategy is not supported with the DAEMON scheduling strategy",
    );
    rule(
        root,
        "spec",
        "!has(self.healthCheckGracePeriodSeconds) || (self.healthCheckGracePeriodSeconds >= 0 && self.healthCheckGracePeriodSeconds <= 2147483647)",
        "healthCheckGracePeriodSeconds must not be negative",
    );
    let config = "spec.deploymentConfiguration";
    rule(
        root,
        config,
        "!has(self.minimumHealthyPercent) || (self.minimumHealthyPercent >= 0 && self.minimumHealthyPercent <= 100)",
        "minimumHealthyPercent must be between 0 and 100",
    );
    rule(
        root,
        config,
        "!has(self.maximumPercent) || self.maximumPercent >= 100",
        "maximumPercent must be at least 100",
    );
    rule(
        root,
        "spec.loadBalancers[]",
        "has(self.containerName) && has(self.containerPort)",
        "loadBalancers: containerName and containerPort are required",
    );
    auto_scaling(root);
}

/// Most target-tracking policies on one service: the HorizontalPodAutoscaler gets one metric per
/// policy, and a short list keeps the uniqueness rule's CEL cost low.
pub const MAX_SCALING_POLICIES: i64 = 10;
/// The longest cooldown: the HorizontalPodAutoscaler's stabilization window and policy period stop at
/// an hour (stabilizationWindowSeconds <= 3600).
pub const MAX_COOLDOWN_SECONDS: i64 = 3600;

fn auto_scaling(root: &mut Value) {
    let scaling = "spec.autoScaling";
    rule(
        root,
        "spec",
        "!has(self.autoScaling) || !has(self.schedulingStrategy) || self.schedulingStrategy != 'DAEMON'",
        "autoScaling: a DAEMON service runs one task per container instance and cannot scale",
    );
    rule(
        root,
        &format!("{scaling}.minCapacity"),
        "self >= 1",
        "autoScaling.minCapacity must be at least 1 (a HorizontalPodAutoscaler does not scale to zero)",
    );
    // No messageExpression with the numbers: string() of a number is costed as unbounded, and the
    // rule's cost estimate then exceeds the schema's budget.
    rule(
        root,
        scaling,
        "self.minCapacity <= self.maxCapacity",
        "autoScaling: minCapacity must not be greater than maxCapacity",
    );
    let policies = format!("{scaling}.policies");
    set(root, &policies, "maxItems", json!(MAX_SCALING_POLICIES));
    rule(
        root,
        &policies,
        "self.all(p, self.exists_one(q, q.policyName == p.policyName))",
        "autoScaling.policies: policyName must be unique within the service",
    );
    let policy = format!("{policies}[]");
    set(root, &format!("{policy}.policyName"), "minLength", json!(1));
    set(root, &format!("{policy}.policyName"), "maxLength", json!(256));
    set(root, &format!("{policy}.policyName"), "pattern", json!("^[^:/]+$"));
    rule(
        root,
        &format!("{policy}.targetValue"),
        "self > 0.0 && self <= 100.0",
        "autoScaling.policies[].targetValue must be greater than 0 and at most 100 (percent of the task's reservation)",
    );
    for cooldown in ["scaleOutCooldown", "scaleInCooldown"] {
        rule(
            root,
            &format!("{policy}.{cooldown}"),
            &format!("self >= 0 && self <= {MAX_COOLDOWN_SECONDS}"),
            &format!("autoScaling.policies[].{cooldown} must be between 0 and {MAX_COOLDOWN_SECONDS} seconds"),
        );
    }
}

fn cluster(root: &mut Value) {
    set(root, "spec.clusterName", "maxLength", json!(255));
    set(root, "spec.clusterName", "pattern", json!(NAME_PATTERN));
    set(root, "spec.nodePools", "maxItems", json!(20));
    set(root, "spec.defaultCapacityProviderStrategy", "maxItems", json!(20));
    set(root, "spec.nodePools[].name", "maxLength", json!(40));
    set(root, "spec.nodePools[].name", "pattern", json!("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"));
    set(root, "spec.nodePools[].provider", "enum", json!(["nodes", "simulated", "karpenter"]));
    set(root, "spec.nodePools[].capacityType", "enum", json!(["ON_DEMAND", "SPOT"]));
    set(
        root,
        "spec.nodePools[].amiFamily",
        "enum",
        json!(["AmazonLinux1", "AmazonLinux2", "AmazonLinux2023", "Bottlerocket"]),
    );
    set(root, "spec.containerInsights", "enum", json!(["enabled", "disabled", "enhanced"]));
    rule(
        root,
        "spec.nodePools",
        "self.all(p, self.exists_one(q, q.name == p.name))",
        "nodePools: pool names must be unique",
    );
    rule(
        root,
        "spec.nodePools[]",
        "!has(self.instances) || (self.instances >= 0 && self.instances <= 1000)",
        "instances must be between 0 and 1000",
    );
    rule(
        root,
        "spec.nodePools[]",
        "!has(self.ebsVolumeSizeGiB) || (self.ebsVolumeSizeGiB >= 1 && self.ebsVolumeSizeGiB <= 16384)",
        "ebsVolumeSizeGiB must be between 1 and 16384",
    );
    rule(
        root,
        "spec.nodePools[]",
        "!has(self.provider) || self.provider == 'nodes' || has(self.instanceType)",
        "instanceType is required for simulated and karpenter pools",
    );
    let security = "spec.taskSecurity";
    for list in ["allowedHostPaths", "allowedCapabilities", "allowedSysctls"] {
        set(root, &format!("{security}.{list}"), "maxItems", json!(64));
        set(root, &format!("{security}.{list}[]"), "maxLength", json!(4096));
    }
    rule(
        root,
        &format!("{security}.allowedHostPaths[]"),
        "self.startsWith('/')",
        "taskSecurity.allowedHostPaths: each entry must be an absolute path",
    );
    set(root, &format!("{security}.allowedCapabilities[]"), "pattern", json!("^(CAP_)?[A-Z_]+$"));
    set(root, &format!("{security}.allowedSysctls[]"), "pattern", json!("^[a-z0-9_./-]+$"));
}

/// ECR's `RepositoryName` (botocore's ECR model, 2015-09-21), as ECR's messages quote it.
const REPOSITORY_NAME_PATTERN: &str = r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*";

/// `text` as a CEL string literal.
fn cel_string(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// AWS's validation message for `repositoryName`, naming the value refused.
fn repository_name_refusal(constraint: &str) -> String {
    format!(
        "\"Value '\" + self + \"' at 'repositoryName' failed to satisfy constraint: \" + {}",
        cel_string(constraint)
    )
}

/// Removes `nullable` from a subtree, so the API server drops an explicit `null` as if the field were
/// absent (which is what the Rust types read) instead of handing it to the rules as a value.
fn drop_nullable(node: &mut Value) {
    match node {
        Value::Object(map) => {
            map.remove("nullable");
            map.values_mut().for_each(drop_nullable);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nullable),
        _ => {}
    }
}

/// ECR's repository rules, and its lifecycle policy rules with the messages of
/// `kube_ecs_domain::ecr::parse` (less their JSON pointer: the API server names the field).
fn repository(root: &mut Value) {
    use crate::repository::{
        MAX_LIFECYCLE_RULES, MAX_STATUS_EXPIRED_IMAGES, MAX_STATUS_IMAGES, MAX_TAG_FILTER_LENGTH, MAX_TAG_FILTERS,
    };

    let name = "spec.repositoryName";
    set(root, name, "maxLength", json!(256));
    let too_short = "Member must have length greater than or equal to 2";
    explained_rule(root, name, "self.size() >= 2", too_short, &repository_name_refusal(too_short));
    let pattern = format!("Member must satisfy regular expression pattern: {REPOSITORY_NAME_PATTERN}");
    explained_rule(
        root,
        name,
        &format!("self.matches({})", cel_string(&format!("^{REPOSITORY_NAME_PATTERN}$"))),
        &pattern,
        &repository_name_refusal(&pattern),
    );
    rule(
        root,
        name,
        "self == oldSelf",
        "repositoryName is immutable: ECR cannot rename a repository (create a new Repository)",
    );

    let filters = "spec.imageTagMutabilityExclusionFilters";
    set(root, filters, "minItems", json!(1));
    set(root, filters, "maxItems", json!(5));
    set(root, &format!("{filters}[].filter"), "maxLength", json!(128));
    set(root, &format!("{filters}[].filter"), "pattern", json!("^[0-9a-zA-Z._*-]{1,128}$"));
    set(root, "spec.encryptionConfiguration.kmsKey", "minLength", json!(1));
    set(root, "spec.encryptionConfiguration.kmsKey", "maxLength", json!(2048));

    // The rules across rules name no rule: a message that did (`string(r.rulePriority)`) is a string
    // of unknown size to the cost estimator, which then refuses the CRD. The API server names the list.
    let rules = "spec.lifecyclePolicy.rules";
    drop_nullable(at(root, &format!("{rules}[]")));
    set(root, rules, "maxItems", json!(MAX_LIFECYCLE_RULES));
    rule(
        root,
        rules,
        "self.size() >= 1",
        "array is too short: must have at least 1 elements but instance has 0 elements",
    );
    rule(
        root,
        rules,
        "self.all(r, self.exists_one(s, s.rulePriority == r.rulePriority))",
        "rulePriority is used by more than one rule; each rule must have a unique value for rulePriority",
    );
    rule(
        root,
        rules,
        "self.all(r, r.selection.tagStatus != 'any' || self.all(s, s.rulePriority <= r.rulePriority))",
        "Rule for tagStatus=ANY must have the lowest priority: a rule with tagStatus any must have the highest value for rulePriority",
    );
    rule(
        root,
        rules,
        "self.filter(r, r.selection.tagStatus == 'untagged').size() <= 1",
        "Only one rule can select Untagged images: at most one rule may have tagStatus untagged",
    );
    // Each pair once, the later rule against the earlier (rules sharing a rulePriority are refused
    // above); comparing the whole rules (`s != r`) instead cost more than the API server allows a call.
    for list in ["tagPrefixList", "tagPatternList"] {
        rule(
            root,
            rules,
            &format!(
                "!self.exists(r, has(r.selection.{list}) && self.exists(s, s.rulePriority < r.rulePriority && has(s.selection.{list}) && r.selection.{list}.all(t, t in s.selection.{list}) && s.selection.{list}.all(t, t in r.selection.{list})))"
            ),
            &format!("The set of rules must contain a unique set of tag prefixes: two rules have the same {list}"),
        );
    }

    let rule_item = format!("{rules}[]");
    let selection = format!("{rule_item}.selection");
    for number in [format!("{rule_item}.rulePriority"), format!("{selection}.countNumber")] {
        rule(root, &number, "self >= 1", "numeric instance is lower than the required minimum (minimum: 1)");
        rule(
            root,
            &number,
            "self <= 2147483647",
            "numeric instance is greater than the required maximum (maximum: 2147483647)",
        );
    }
    rule(
        root,
        &selection,
        "self.tagStatus != 'tagged' || !has(self.tagPrefixList) || !has(self.tagPatternList)",
        "A lifecycle policy rule may specify either tagPatternList or tagPrefixList, but not both",
    );
    rule(
        root,
        &selection,
        "self.tagStatus != 'tagged' || has(self.tagPrefixList) || has(self.tagPatternList)",
        "Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED.",
    );
    rule(
        root,
        &selection,
        "self.tagStatus == 'tagged' || (!has(self.tagPrefixList) && !has(self.tagPatternList))",
        "The tagPatternList or tagPrefixList parameters may only be used if the tagStatus is tagged",
    );
    rule(
        root,
        &selection,
        "self.countType != 'sinceImagePushed' || has(self.countUnit)",
        "countUnit is required when countType is sinceImagePushed (its value is days)",
    );
    rule(
        root,
        &selection,
        "self.countType != 'imageCountMoreThan' || !has(self.countUnit)",
        "countUnit must be omitted when countType is imageCountMoreThan (it is only used if countType is sinceImagePushed)",
    );
    for list in ["tagPrefixList", "tagPatternList"] {
        let path = format!("{selection}.{list}");
        set(root, &path, "minItems", json!(1));
        set(root, &path, "maxItems", json!(MAX_TAG_FILTERS));
        set(root, &format!("{path}[]"), "minLength", json!(1));
        set(root, &format!("{path}[]"), "maxLength", json!(MAX_TAG_FILTER_LENGTH));
    }
    explained_rule(
        root,
        &format!("{selection}.tagPatternList[]"),
        "self.split('*').size() <= 5",
        "there is a maximum limit of four wildcards (*) per string",
        "'tagPatternList entry \"' + self + '\" has more than four wildcards (*); there is a maximum limit of four wildcards (*) per string'",
    );

    set(root, "status.images", "maxItems", json!(MAX_STATUS_IMAGES));
    set(root, "status.expiredImages", "maxItems", json!(MAX_STATUS_EXPIRED_IMAGES));
}
