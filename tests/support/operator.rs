//! The operator under test: CRDs installed and every controller running in-process against the test
//! binary's cluster, once per test binary, on a runtime of its own (test runtimes end with their test).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use kube_ecs::context::{Context, OperatorConfig};

/// The stopped-task retention a test binary asked for ([`retain_stopped_tasks_for`]) before the
/// operator started.
static RETENTION: OnceLock<Duration> = OnceLock::new();

/// Makes this test binary's operator keep stopped tasks for `retention` (call before anything
/// starts the operator): for the tests of what retention ends.
#[allow(dead_code)]
pub fn retain_stopped_tasks_for(retention: Duration) {
    assert!(RETENTION.set(retention).is_ok() || RETENTION.get() == Some(&retention), "set once, before start");
}

/// Operator settings used by the tests: ECS's hour of stopped-task retention, unless the binary asks
/// for another.
pub fn test_config() -> OperatorConfig {
    let retention = *RETENTION.get_or_init(|| Duration::from_secs(3600));
    OperatorConfig { stopped_task_retention: retention, ..Default::default() }
}

/// The running operator's context (its caches), for controllers a test binary adds.
static CONTEXT: OnceLock<Arc<Context>> = OnceLock::new();

/// The operator's context; starts the operator first if needed.
#[allow(dead_code)]
pub fn context() -> Arc<Context> {
    start();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(ctx) = CONTEXT.get() {
            return ctx.clone();
        }
        assert!(std::time::Instant::now() < deadline, "the operator under test made no context");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Installs the CRDs and starts the controllers (once per test binary).
pub fn start() {
    start_once(true);
}

/// Starts the controllers without installing the CRDs (once per test binary): for a test that has
/// something else install them (a GitOps tool syncing them from Git), as a fresh cluster would. Their
/// watches retry until the CRDs are served.
#[allow(dead_code)]
pub fn start_before_crds() {
    start_once(false);
}

fn start_once(install: bool) {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let cluster = super::cluster();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("operator-under-test".into())
            .spawn(move || {
                let runtime = tokio::runtime::Runtime::new().expect("operator runtime");
                runtime.block_on(async move {
                    let client = cluster.client().await.expect("operator client");
                    if install {
                        install_crds(&client).await;
                    }
                    let _ = ready_tx.send(());
                    let ctx = Arc::new(Context::new(client, test_config()));
                    let _ = CONTEXT.set(ctx.clone());
                    kube_ecs::controllers::run(ctx, futures::future::pending()).await;
                });
            })
            .expect("operator thread");
        ready_rx.recv_timeout(Duration::from_secs(120)).expect("CRDs installed and operator started");
    });
}

async fn install_crds(client: &kube::Client) {
    kube_ecs::crd_install::install_crds(client, "kube-ecs-tests").await.expect("installing the CRDs");
}
