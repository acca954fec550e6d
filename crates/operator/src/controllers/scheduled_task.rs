//! ScheduledTask controller: starts each run of a schedule as Tasks, once, and records it.
//!
//! Pipeline: the schedule and the clock -> the run owed now, its Task names, the status and the
//! next wake-up (pure, `scheduled_task_plan`) -> create the run's Tasks (create, never apply: a
//! Task that already exists is the run already started, by this replica before a restart or by
//! another, and is left alone) -> one status apply, skipped when nothing changed -> requeue at the
//! next fire time. Like every controller it runs only on the leader; the Task names make a run
//! exactly-once even when two replicas overlap during a leadership change.

use std::sync::Arc;
use std::time::Duration;

use kube::ResourceExt;
use kube::api::{Api, DeleteParams, PostParams};
use kube::core::DeserializeGuard;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube_ecs_domain::scheduled_task_plan::{self as plan, Plan, reasons, tasks};

use crate::api::scheduled_task::ScheduledTask;
use crate::api::task::Task;
use crate::apply;
use crate::context::Context;
use crate::error::Result;
use crate::event::EcsEvent;

pub async fn run(ctx: Arc<Context>, shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static) {
    let api = Api::<DeserializeGuard<ScheduledTask>>::all(ctx.client.clone());
    let controller =
        Controller::new(api, watcher::Config::default().any_semantic()).with_config(super::runner::config());
    super::runner::run(controller, ctx, shutdown, reconcile).await;
}

#[tracing::instrument(skip_all, fields(name = %schedule.name_any(), namespace = schedule.namespace().unwrap_or_default()))]
async fn reconcile(schedule: Arc<ScheduledTask>, ctx: Arc<Context>) -> Result<Action> {
    if schedule.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let namespace = schedule.namespace().unwrap_or_default();
    let plan = plan::plan(&schedule, jiff::Timestamp::now());
    let Plan { run, status, events, requeue, delete } = plan;
    let mut started = 0;
    if let Some(run) = &run {
        started = start_run(&ctx, &schedule, &namespace, run).await?;
    }
    for (warning, reason, message) in events {
        // A run whose Tasks all existed was announced by whoever created them.
        if reason == reasons::RUN_STARTED && started == 0 {
            continue;
        }
        let event = if warning { EcsEvent::warning(reason, message) } else { EcsEvent::normal(reason, message) };
        ctx.event(schedule.as_ref(), "Schedule", &event).await;
    }
    let api: Api<ScheduledTask> = Api::namespaced(ctx.client.clone(), &namespace);
    if schedule.status.as_ref() != Some(&status) {
        apply::apply_status(&api, &schedule.name_any(), serde_json::to_value(&status)?).await?;
    }
    if delete {
        let message = "the schedule has no run left and its actionAfterCompletion is DELETE";
        ctx.event(schedule.as_ref(), "Schedule", &EcsEvent::normal(reasons::COMPLETED, message)).await;
        match api.delete(&schedule.name_any(), &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
        return Ok(Action::await_change());
    }
    Ok(match requeue.and_then(|wait| Duration::try_from(wait).ok()) {
        Some(wait) => Action::requeue(wait),
        None => Action::await_change(),
    })
}

/// Creates the run's Tasks side by side; how many were created now (the others existed).
async fn start_run(ctx: &Context, schedule: &ScheduledTask, namespace: &str, run: &plan::Run) -> Result<usize> {
    let api: Api<Task> = Api::namespaced(ctx.client.clone(), namespace);
    let creates = run.task_names.iter().map(|name| {
        let task = tasks::task(schedule, name, run.scheduled_time);
        let api = api.clone();
        async move {
            let params = PostParams { field_manager: Some(apply::FIELD_MANAGER.into()), ..Default::default() };
            match api.create(&params, &task).await {
                Ok(_) => Ok(true),
                Err(kube::Error::Api(e)) if e.code == 409 => Ok(false),
                Err(e) => Err(e),
            }
        }
    });
    let created = futures::future::try_join_all(creates).await?;
    Ok(created.into_iter().filter(|c| *c).count())
}
