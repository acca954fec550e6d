//! Run task's GitOps-ready side: "Show manifest" and "Download manifest" post the Run task form
//! here (its buttons' `formaction`), which turns it into the Task objects Create would make (the same
//! pure `actions::task_spec`, a new task ID each) and shows or downloads them instead of creating
//! them: one Task, or a `List` of them when the form asks for several.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use kube_ecs_api::Task;
use maud::html;

use crate::actions::{self, RunTaskForm};
use crate::error::{ConsoleError, Result};
use crate::extract::{Names, Posted};
use crate::server::{App, timed};
use crate::views::{gitops, layout, run_task};

pub fn router() -> Router<Arc<App>> {
    Router::new().route("/ns/{ns}/clusters/{cluster}/run-task/manifest", post(manifest))
}

/// The manifest of the tasks the form would run.
pub fn tasks_manifest(form: &RunTaskForm, ns: &str, cluster: &str) -> Result<serde_json::Value> {
    let (spec, count) = actions::task_spec(form, cluster)?;
    let mut tasks = (0..count)
        .map(|_| {
            let mut task = Task::new(&crate::session::random_hex(16), spec.clone());
            task.metadata.namespace = Some(ns.to_string());
            gitops::manifest(&task)
        })
        .collect::<Result<Vec<_>>>()?;
    match tasks.len() {
        1 => tasks.pop().ok_or_else(|| ConsoleError::Invalid("no task".into())),
        _ => Ok(serde_json::json!({"apiVersion": "v1", "kind": "List", "items": tasks})),
    }
}

async fn manifest(
    Names((ns, cluster)): Names<(String, String)>,
    Posted(session, form): Posted<RunTaskForm>,
) -> Response {
    let started = Instant::now();
    let built = tasks_manifest(&form, &ns, &cluster);
    if let (Ok(manifest), Some("download")) = (&built, form.per_container.get("intent").map(String::as_str)) {
        return gitops::download(manifest);
    }
    let error = built.as_ref().err();
    let status = error.map_or(StatusCode::OK, ConsoleError::status);
    let body = match run_task::form(&session, &ns, &cluster, &form, error).await {
        Ok(markup) => html! { (markup) @if let Ok(manifest) = &built { (gitops::shown(manifest)) } },
        Err(e) => layout::error_box(&e),
    };
    timed(status, layout::page("Run task", &session, &ns, body, None), started)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_task_or_a_list() {
        let mut form = RunTaskForm { task_definition: "web:1".into(), ..Default::default() };
        let one = tasks_manifest(&form, "team-a", "prod").expect("one");
        assert_eq!((one["kind"].as_str(), one["metadata"]["namespace"].as_str()), (Some("Task"), Some("team-a")));
        assert_eq!(one["spec"]["cluster"], "prod");
        form.count = "3".into();
        let list = tasks_manifest(&form, "team-a", "prod").expect("list");
        assert_eq!(list["kind"], "List");
        assert_eq!(list["items"].as_array().map(Vec::len), Some(3));
    }
}
