//! The README's first command, end to end: `kube-ecs demo` starts its own control plane, installs the
//! CRDs, runs the operator, applies examples/ and shows their ECS status.

mod support;

#[test]
fn the_demo_shows_the_examples_running() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kube-ecs"))
        .args(["demo", "--seconds", "20", "--examples", concat!(env!("CARGO_MANIFEST_DIR"), "/examples")])
        .env("KUBE_ECS_TOOLS_BIN", support::tools_bin())
        .output()
        .expect("running kube-ecs demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "demo failed:\n{stderr}");
    // The last frame of the live view.
    let frame = stdout.rsplit("kube-ecs demo —").next().unwrap_or_default();
    for expected in ["default-on-demand-0", "default-spot-1", "default/web", "default/api", "default/nightly-report"] {
        assert!(frame.contains(expected), "the view shows {expected}:\n{frame}\n{stderr}");
    }
    let cluster_line = frame.lines().find(|l| l.starts_with("default ")).unwrap_or_default();
    assert!(cluster_line.contains("ACTIVE"), "cluster ACTIVE: {cluster_line}");
    let task_line = frame.lines().find(|l| l.contains("default/nightly-report")).unwrap_or_default();
    assert!(task_line.contains("RUNNING"), "the batch task runs: {task_line}");
}
