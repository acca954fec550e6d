//! Pushes and pulls of a 10 MiB image through kube-ecs's registry front vs the registry under it
//! alone: the overhead ECR in the operator adds (token check, RBAC, the proxy's stream). The real
//! crane on both sides, each with its own login, as two users' machines.
//!
//! Every push is of a fresh layer of random bytes: both sides store into the same registry, whose
//! blobs are content-addressed, so a layer pushed twice would be a second write of known content,
//! and random bytes do not shrink under crane's gzip.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, Result};
use kube::Client;
use kube_ecs::ecs_api::client::{self, Signer};
use kube_ecs::local_cluster::LocalRegistry;
use kube_ecs::local_cluster::registry::DEFAULT_ECR_HOST;

use super::api_phase::{self, REGION};
use super::{Row, mode_row, namespace};

/// The image's one layer holds a file of this many random bytes.
const LAYER_BYTES: usize = 10 << 20;
/// Where the key's Repository objects go.
const NAMESPACE: &str = "bench-ecr";
/// The repository pushed through the front; the other side pushes to `bench/direct` under the same
/// registry host, so both land in the same registry's storage.
const REPOSITORY: &str = "bench/push";
const DIRECT_REPOSITORY: &str = "bench/direct";

/// The registry under ECR, started before the operator so the operator can be pointed at it.
pub struct Upstream {
    registry: LocalRegistry,
    credentials_file: PathBuf,
    /// `127.0.0.1:<port>` of the operator's registry front.
    front: String,
    dir: PathBuf,
}

impl Upstream {
    /// Starts an authenticated registry (user `AWS`, a random password) in `dir`.
    pub fn start(tools_bin: &Path, dir: &Path) -> Result<Self> {
        let registry =
            LocalRegistry::start(tools_bin, &dir.join("registry"), "bench-ecr", vec![DEFAULT_ECR_HOST.into()], true)?;
        let (user, password) = registry.credentials().context("the bench registry requires credentials")?;
        let credentials_file = dir.join("upstream-credentials");
        std::fs::write(&credentials_file, format!("{user}:{password}"))?;
        let front_port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        Ok(Self { registry, credentials_file, front: format!("127.0.0.1:{front_port}"), dir: dir.to_path_buf() })
    }

    /// Where the operator's registry front listens.
    pub fn front(&self) -> &str {
        &self.front
    }

    /// The operator's flags that serve ECR over this registry.
    pub fn operator_args(&self) -> Vec<String> {
        vec![
            format!("--ecr-registry-upstream=http://{}", self.registry.address()),
            format!("--ecr-registry-upstream-credentials-file={}", self.credentials_file.display()),
            format!("--ecr-registry-host={DEFAULT_ECR_HOST}"),
            format!("--ecr-front-bind-address={}", self.front),
        ]
    }
}

/// crane with its own login state (`DOCKER_CONFIG`).
struct Crane {
    bin: PathBuf,
    config: PathBuf,
}

impl Crane {
    fn new(tools_bin: &Path, config: PathBuf) -> Result<Self> {
        std::fs::create_dir_all(&config)?;
        Ok(Self { bin: tools_bin.join("crane"), config })
    }

    /// Runs crane to completion; the seconds it took.
    fn run(&self, args: &[&str], stdin: Option<&str>) -> Result<f64> {
        use std::io::Write as _;
        let start = Instant::now();
        let mut child = Command::new(&self.bin)
            .args(args)
            .env("DOCKER_CONFIG", &self.config)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("running {}", self.bin.display()))?;
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.unwrap_or_default().as_bytes())?;
        }
        let output = child.wait_with_output()?;
        let took = start.elapsed().as_secs_f64();
        anyhow::ensure!(
            output.status.success(),
            "crane {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
        Ok(took)
    }
}

/// An ECR action through the operator's endpoint, signed for `ecr`; the answer of a 200.
async fn ecr_call(host: &str, signer: Signer<'_>, action: &str, input: serde_json::Value) -> Result<serde_json::Value> {
    let target = format!("{}.{action}", kube_ecs_wire::ecr::TARGET_PREFIX);
    let body = serde_json::to_vec(&input)?;
    let headers = client::headers(host, Some(&target), &body, Some(signer), jiff::Timestamp::now());
    let (status, answer) = client::post(host, &headers, &body).await?;
    anyhow::ensure!(status == 200, "ECR {action} answered {status}: {answer}");
    Ok(answer)
}

/// Standard base64 (with padding), as `authorizationToken` is encoded.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let digits = text.trim().trim_end_matches('=').bytes().map(value).collect::<Option<Vec<u8>>>()?;
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let bits = chunk.iter().enumerate().fold(0u32, |acc, (i, d)| acc | (u32::from(*d) << (18 - 6 * i)));
        out.extend_from_slice(&bits.to_be_bytes()[1..chunk.len()]);
    }
    Some(out)
}

/// A layer tarball in `dir` holding one file of [`LAYER_BYTES`] random bytes.
fn random_layer(dir: &Path) -> Result<PathBuf> {
    use std::io::Read as _;
    std::fs::create_dir_all(dir.join("bench"))?;
    let mut data = vec![0u8; LAYER_BYTES];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut data)?;
    std::fs::write(dir.join("bench").join("random"), &data)?;
    let tar = dir.join("layer.tar");
    let status = Command::new("tar").arg("-C").arg(dir).arg("-cf").arg(&tar).arg("bench").status()?;
    anyhow::ensure!(status.success(), "tar of the random layer failed");
    Ok(tar)
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[mid]),
        _ => Some((values[mid - 1] + values[mid]) / 2.0),
    }
}

/// One side's push then pull of a fresh image `reference`; (push seconds, pull seconds).
fn push_and_pull(crane: &Crane, reference: &str, work: &Path) -> Result<(f64, f64)> {
    let layer = random_layer(work)?;
    let push = crane.run(&["append", "-f", &layer.display().to_string(), "-t", reference], None)?;
    // A fresh path each time; crane keeps no local cache, so every pull fetches the whole layer.
    let pulled = work.join("pulled.tar");
    let pull = crane.run(&["pull", reference, &pulled.display().to_string()], None)?;
    let size = std::fs::metadata(&pulled)?.len();
    anyhow::ensure!(size >= LAYER_BYTES as u64, "the pull of {reference} wrote {size} bytes, not the whole layer");
    std::fs::remove_dir_all(work)?;
    Ok((push, pull))
}

pub async fn run(
    rounds: usize,
    mode: &str,
    client: &Client,
    api_port: u16,
    tools_bin: &Path,
    upstream: &Upstream,
) -> Result<Vec<Row>> {
    let host = format!("127.0.0.1:{api_port}");
    namespace(client, NAMESPACE).await?;
    let (id, secret) = api_phase::key(client, &host, NAMESPACE, "AKIABENCHMARKKEY0002").await?;
    let signer = Signer { access_key_id: &id, secret_access_key: &secret, region: REGION };
    ecr_call(&host, signer, "CreateRepository", serde_json::json!({"repositoryName": REPOSITORY})).await?;
    let token = ecr_call(&host, signer, "GetAuthorizationToken", serde_json::json!({})).await?;
    let password = token["authorizationData"][0]["authorizationToken"]
        .as_str()
        .and_then(base64_decode)
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|decoded| decoded.strip_prefix("AWS:").map(str::to_string))
        .with_context(|| format!("GetAuthorizationToken's token is not base64 of AWS:<password>: {token}"))?;

    let front = Crane::new(tools_bin, upstream.dir.join("crane-front"))?;
    front.run(&["auth", "login", &upstream.front, "-u", "AWS", "--password-stdin"], Some(&password))?;
    let registry = upstream.registry.address().to_string();
    let (user, registry_password) = upstream.registry.credentials().context("the bench registry's credentials")?;
    let alone = Crane::new(tools_bin, upstream.dir.join("crane-alone"))?;
    alone.run(&["auth", "login", &registry, "-u", user, "-p", registry_password], None)?;

    // The front learns of the new Repository from its watch: wait until it lists the (empty) tags.
    let listing = format!("{}/{REPOSITORY}", upstream.front);
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    while let Err(e) = front.run(&["ls", &listing], None) {
        anyhow::ensure!(Instant::now() < deadline, "the registry front never served {REPOSITORY}: {e:#}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    let (mut front_push, mut front_pull, mut alone_push, mut alone_pull) = (vec![], vec![], vec![], vec![]);
    for round in 0..rounds {
        let through_front = format!("{}/{REPOSITORY}:r{round}", upstream.front);
        let direct = format!("{registry}/{DEFAULT_ECR_HOST}/{DIRECT_REPOSITORY}:r{round}");
        let work = upstream.dir.join(format!("round-{round}"));
        let mut measure_front = || -> Result<()> {
            let (push, pull) = push_and_pull(&front, &through_front, &work.join("front"))?;
            eprintln!("[bench] {mode}: ECR round {round} through the front: push {push:.2} s, pull {pull:.2} s");
            front_push.push(push);
            front_pull.push(pull);
            Ok(())
        };
        let mut measure_alone = || -> Result<()> {
            let (push, pull) = push_and_pull(&alone, &direct, &work.join("alone"))?;
            eprintln!("[bench] {mode}: ECR round {round} to the registry alone: push {push:.2} s, pull {pull:.2} s");
            alone_push.push(push);
            alone_pull.push(pull);
            Ok(())
        };
        // Alternated, so neither side always runs second, on caches the other warmed.
        if round % 2 == 0 {
            measure_front()?;
            measure_alone()?;
        } else {
            measure_alone()?;
            measure_front()?;
        }
    }
    let row = |measure: &str, ours: Option<f64>, peer: Option<f64>| mode_row(mode, measure, ours, peer);
    Ok(vec![
        row(&format!("ECR push 10 MiB (s, median of {rounds})"), median(front_push), median(alone_push)),
        row(&format!("ECR pull 10 MiB (s, median of {rounds})"), median(front_pull), median(alone_pull)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_as_the_authorization_token_is_encoded() {
        for (encoded, decoded) in
            [("QVdTOnB3", "AWS:pw"), ("QVdTOnB3ZA==", "AWS:pwd"), ("QVdTOnB3ZDE=", "AWS:pwd1"), ("", "")]
        {
            assert_eq!(base64_decode(encoded).as_deref(), Some(decoded.as_bytes()), "{encoded}");
        }
        assert_eq!(base64_decode("QVdT*"), None);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }
}
