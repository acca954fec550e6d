//! The layers hold: each crate depends only on the crates below it, and the pure layers (api,
//! domain) build without a Kubernetes client or an async runtime. The compiler enforces imports
//! between crates; this test keeps the crate graph itself from growing an arrow that points up.

use std::collections::BTreeSet;
use std::process::Command;

/// Each workspace crate and the kube-ecs crates it may depend on.
const LAYERS: &[(&str, &[&str])] = &[
    ("kube-ecs-api", &[]),
    ("kube-ecs-domain", &["kube-ecs-api"]),
    ("kube-ecs-read-model", &["kube-ecs-api", "kube-ecs-domain"]),
    // The Repository controller reads and deletes images through the registry's upstream client.
    ("kube-ecs-operator", &["kube-ecs-api", "kube-ecs-domain", "kube-ecs-read-model", "kube-ecs-registry"]),
    // ECS's wire types and SigV4 stand beside the api layer: pure, nothing of ours.
    ("kube-ecs-wire", &[]),
    ("kube-ecs-sigv4", &[]),
    // The image registry (ECR's registry side) reads Repositories and verifies tokens with SigV4's HMAC.
    ("kube-ecs-registry", &["kube-ecs-api", "kube-ecs-domain", "kube-ecs-sigv4"]),
    // The ECS API endpoint is a peer of the controllers: it reads and writes the same resources (and,
    // for ECR's API, the registry's images through kube-ecs-registry).
    (
        "kube-ecs-endpoint",
        &[
            "kube-ecs-api",
            "kube-ecs-domain",
            "kube-ecs-read-model",
            "kube-ecs-wire",
            "kube-ecs-sigv4",
            "kube-ecs-registry",
        ],
    ),
    // The web console is a peer of the endpoint: it reads and writes the same resources as the
    // signed-in identity and renders them with the domain's vocabulary.
    ("kube-ecs-console", &["kube-ecs-api", "kube-ecs-domain", "kube-ecs-read-model"]),
    // The local control plane stands apart: tests, the demo and the benchmarks use it, the operator never.
    ("kube-ecs-local-cluster", &[]),
    (
        "kube-ecs",
        &[
            "kube-ecs-api",
            "kube-ecs-domain",
            "kube-ecs-read-model",
            "kube-ecs-operator",
            "kube-ecs-endpoint",
            "kube-ecs-local-cluster",
            "kube-ecs-wire",
            "kube-ecs-sigv4",
            "kube-ecs-registry",
            "kube-ecs-console",
        ],
    ),
];

fn cargo(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("running cargo {args:?}: {e}"));
    assert!(output.status.success(), "cargo {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("cargo prints UTF-8")
}

#[test]
fn every_crate_depends_only_on_the_layers_below_it() {
    let metadata: serde_json::Value =
        serde_json::from_str(&cargo(&["metadata", "--format-version", "1", "--no-deps", "--offline"]))
            .expect("cargo metadata is JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    let mut seen = BTreeSet::new();
    for package in packages {
        let name = package["name"].as_str().expect("package name");
        let Some((_, allowed)) = LAYERS.iter().find(|(layer, _)| *layer == name) else {
            panic!("workspace crate {name} has no place in LAYERS: say which layer it belongs to");
        };
        seen.insert(name);
        let internal: BTreeSet<&str> = package["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .filter(|d| d["kind"].is_null()) // normal dependencies; dev-dependencies may reach further
            .filter_map(|d| d["name"].as_str())
            .filter(|d| d.starts_with("kube-ecs"))
            .collect();
        let extra: Vec<&&str> = internal.iter().filter(|d| !allowed.contains(d)).collect();
        assert!(extra.is_empty(), "{name} depends on {extra:?}, which is not below it (allowed: {allowed:?})");
    }
    assert_eq!(seen.len(), LAYERS.len(), "every layer is a workspace crate: {seen:?}");
}

#[test]
fn the_pure_layers_build_without_a_client_or_a_runtime() {
    for package in ["kube-ecs-api", "kube-ecs-domain", "kube-ecs-wire", "kube-ecs-sigv4"] {
        // Built alone (as `cargo check -p` does), features are not unified with the operator's.
        let tree = cargo(&["tree", "--offline", "-p", package, "-e", "normal", "--prefix", "none"]);
        let crates: BTreeSet<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
        for forbidden in ["kube-client", "kube-runtime", "tokio", "hyper", "tower"] {
            assert!(!crates.contains(forbidden), "{package} pulls in {forbidden}: the pure layers make no calls");
        }
    }
}

#[test]
fn the_pure_layers_compile_on_their_own() {
    // A workspace build unifies kube's features, so a client call in the domain would compile there;
    // built alone, it does not. A target directory of its own: the test runner holds the main one.
    let target = concat!(env!("CARGO_MANIFEST_DIR"), "/target/layers");
    let output = Command::new(env!("CARGO"))
        .args([
            "check",
            "--offline",
            "--locked",
            "-p",
            "kube-ecs-api",
            "-p",
            "kube-ecs-domain",
            "-p",
            "kube-ecs-wire",
            "-p",
            "kube-ecs-sigv4",
            "--lib",
        ])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running cargo check");
    assert!(
        output.status.success(),
        "the api and domain crates do not compile without the operator's features (a Kubernetes call or \
         runtime use crept into a pure layer?):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
