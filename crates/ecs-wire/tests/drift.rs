//! The generated files are what hack/gen-ecs-wire.py makes from the pinned botocore, for both
//! services: ECS (model/ecs-2014-11-13.json, model/ecs-2014-11-13.examples.json, src/generated.rs)
//! and ECR (model/ecr-2015-09-21.json, model/ecr-2015-09-21.examples.json, src/ecr/generated.rs).
//! Makes (or reuses) the pinned venv with hack/aws-venv.sh and runs the generator's `--check`, which
//! checks every file of both. The first run on a machine installs the venv from PyPI (about 20 s);
//! later runs reuse it.

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the repository root")
}

#[test]
fn generated_files_match_botocores_model() {
    let repo = repo();
    match Command::new("python3").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status() {
        Ok(status) if status.success() => {}
        other => panic!(
            "python3 (>= 3.9, with the venv module) is needed to check crates/ecs-wire against botocore's model, \
             and `python3 --version` gave {other:?}"
        ),
    }

    let venv = Command::new("bash").arg(repo.join("hack/aws-venv.sh")).current_dir(&repo).output().expect("run bash");
    assert!(
        venv.status.success(),
        "hack/aws-venv.sh failed ({}):\n{}",
        venv.status,
        String::from_utf8_lossy(&venv.stderr)
    );
    let stdout = String::from_utf8(venv.stdout).expect("utf-8");
    let bin = PathBuf::from(stdout.lines().last().expect("hack/aws-venv.sh printed the venv's bin directory").trim());

    let check = Command::new(bin.join("python"))
        .arg(repo.join("hack/gen-ecs-wire.py"))
        .arg("--check")
        .current_dir(&repo)
        .output()
        .expect("run the venv's python");
    assert!(
        check.status.success(),
        "crates/ecs-wire drifted from botocore's ECS or ECR model ({}):\n{}{}\nRegenerate with: \"$(hack/aws-venv.sh | tail -n1)/python\" hack/gen-ecs-wire.py",
        check.status,
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );

    // Both services' files are there (and so were checked).
    for file in [
        "model/ecs-2014-11-13.json",
        "model/ecs-2014-11-13.examples.json",
        "src/generated.rs",
        "model/ecr-2015-09-21.json",
        "model/ecr-2015-09-21.examples.json",
        "src/ecr/generated.rs",
        "model/secretsmanager-2017-10-17.json",
        "src/secretsmanager/generated.rs",
        "model/ssm-2014-11-06.json",
        "src/ssm/generated.rs",
        "model/logs-2014-03-28.json",
        "src/logs/generated.rs",
    ] {
        assert!(repo.join("crates/ecs-wire").join(file).is_file(), "crates/ecs-wire/{file} is missing");
    }
}
