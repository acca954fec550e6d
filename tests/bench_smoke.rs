//! The benchmarks run (CI checks that, at the smallest size; their figures come from `make bench`).

mod support;

#[test]
fn the_benchmarks_run_at_the_quick_size() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kube-ecs-bench"))
        .args(["--quick", "--modes", "open"])
        .env("KUBE_ECS_TOOLS_BIN", support::tools_bin())
        .output()
        .expect("running kube-ecs-bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "kube-ecs-bench failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    for row in [
        "30 Tasks vs Jobs to Running",
        "Events per Task (operator) vs per Job (KCM)",
        "operator CPU ms per task",
        "rollout to a new revision (s), Services first",
        "rollout to a new revision (s), Deployments first",
        "steady state + full resync: operator writes",
        "cold start",
    ] {
        assert!(stdout.contains(row), "the table has {row:?}:\n{stdout}");
    }
}
