//! The web console in the operator (`--console-bind-address`), with a cluster of many tasks: the
//! server time of a Tasks tab page of 100 rows against the apiserver's own list of the same page
//! (the peer: what the page cannot be faster than), and what 20 viewers following the page live
//! cost the operator (CPU and RSS) next to no viewer over the same churn of tasks (one task created
//! and one stopped every 500 ms). Task names are ECS-like IDs (32 hex digits), so the tasks a change
//! touches spread over every page, as in a real cluster: a viewer renders again only when a change
//! reaches the first page it shows (live::Follower).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use futures::StreamExt;
use kube::Client;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube_ecs::api::Task;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::api_phase;
use super::{CLUSTER, Operator, Row, mode_row};

const NS: &str = "bench-console";
/// Page requests measured on each side.
const SAMPLES: usize = 50;
const VIEWERS: usize = 20;

pub async fn run(
    tasks: usize,
    churn_seconds: u64,
    mode: &str,
    client: &Client,
    operator: &mut Operator,
) -> Result<Vec<Row>> {
    let console = operator.console.clone().context("the operator was started without its console")?;
    let row = |measure: &str, ours: Option<f64>, peer: Option<f64>| mode_row(mode, measure, ours, peer);
    api_phase::definition(client, NS).await?;
    let (id, secret) =
        api_phase::key(client, &format!("127.0.0.1:{}", operator.api_port), NS, "BENCHCONSOLEKEY01").await?;

    eprintln!("[bench] {mode}: creating {tasks} tasks for the console");
    let api: Api<Task> = Api::namespaced(client.clone(), NS);
    create_tasks(&api, 0..tasks).await?;
    // Until the operator has observed every task (status.cluster is what the Tasks tab selects on).
    let observed = ListParams::default().fields(&format!("status.cluster={CLUSTER}"));
    let deadline = Instant::now() + super::UNTIL_LIMIT;
    while api.list_metadata(&observed).await?.items.len() < tasks {
        anyhow::ensure!(Instant::now() < deadline, "the operator did not observe {tasks} tasks in time");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    operator.wait_until_idle(Duration::from_secs(300)).await;

    let cookie = sign_in(&console, &id, &secret).await?;
    let path = format!("/ns/{NS}/clusters/{CLUSTER}/tasks");
    let mut server_ms = Vec::new();
    let mut wall_ms = Vec::new();
    for i in 0..SAMPLES + 3 {
        let started = Instant::now();
        let answer = get(&console, &path, &cookie).await?;
        anyhow::ensure!(answer.status == 200, "the Tasks tab answered {}: {}", answer.status, answer.body);
        anyhow::ensure!(answer.body.matches("data-task=").count() == 100.min(tasks), "a page of 100 rows");
        if i >= 3 {
            wall_ms.push(started.elapsed().as_secs_f64() * 1000.0);
            server_ms.push(answer.server_timing().context("Server-Timing")?);
        }
    }
    let page =
        ListParams::default().fields(&format!("status.cluster={CLUSTER},status.desiredStatus=RUNNING")).limit(100);
    let mut direct_ms = Vec::new();
    for i in 0..SAMPLES + 3 {
        let started = Instant::now();
        let listed = api.list(&page).await?;
        anyhow::ensure!(listed.items.len() == 100.min(tasks), "the apiserver's page of 100");
        if i >= 3 {
            direct_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    for v in [&mut server_ms, &mut wall_ms, &mut direct_ms] {
        v.sort_by(f64::total_cmp);
    }
    let p = |v: &[f64], q: f64| api_phase::percentile(v, q);
    let label = format!("console Tasks tab, {tasks} tasks, page of 100");
    let mut rows = vec![
        row(&format!("{label}: p50 ms (server) vs apiserver list"), p(&server_ms, 50.0), p(&direct_ms, 50.0)),
        row(&format!("{label}: p95 ms (server) vs apiserver list"), p(&server_ms, 95.0), p(&direct_ms, 95.0)),
        row(&format!("{label}: p95 ms (client wall) vs apiserver list"), p(&wall_ms, 95.0), p(&direct_ms, 95.0)),
    ];

    // Viewers: the same churn (a task created every 500 ms) without and then with 20 live streams.
    let mut next = tasks;
    let (idle_cpu, idle_rss) = churn(&api, operator, &mut next, churn_seconds).await?;
    let stream_path = live_path(&get(&console, &path, &cookie).await?.body).context("the page's stream URL")?;
    let received = Arc::new(AtomicUsize::new(0));
    let viewers: Vec<_> = (0..VIEWERS)
        .map(|_| tokio::spawn(follow(console.clone(), stream_path.clone(), cookie.clone(), received.clone())))
        .collect();
    let (viewed_cpu, viewed_rss) = churn(&api, operator, &mut next, churn_seconds).await?;
    for viewer in &viewers {
        anyhow::ensure!(!viewer.is_finished(), "a viewer's stream ended during the churn");
        viewer.abort();
    }
    let fragments = received.load(Ordering::Relaxed);
    let percent = |cpu: f64| Some(cpu * 100.0 / churn_seconds as f64);
    rows.push(row(
        &format!("{VIEWERS} live viewers vs none: operator CPU % ({churn_seconds} s churn)"),
        percent(viewed_cpu),
        percent(idle_cpu),
    ));
    rows.push(row(&format!("{VIEWERS} live viewers vs none: operator RSS MiB"), Some(viewed_rss), Some(idle_rss)));
    rows.push(row(&format!("{VIEWERS} live viewers: fragments received"), Some(fragments as f64), None));
    Ok(rows)
}

async fn create_tasks(api: &Api<Task>, range: std::ops::Range<usize>) -> Result<()> {
    futures::stream::iter(range)
        .map(|i| {
            let api = api.clone();
            async move {
                let task: Task = serde_json::from_value(serde_json::json!({
                    "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task",
                    "metadata": {"name": task_id(i)},
                    "spec": {"taskDefinition": "bench", "cluster": CLUSTER}}))?;
                api.create(&PostParams::default(), &task).await?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// A task's name as ECS would make its ID: 32 hex digits, so tasks spread over the apiserver's
/// order (by name) as they do in a real cluster, and a change lands on any page alike.
fn task_id(i: usize) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(format!("console-bench-{i}").as_bytes()))[..32].to_string()
}

/// `seconds` of churn: every 500 ms one task created and one of the first ones stopped; the
/// operator's CPU seconds over them and its RSS after.
async fn churn(api: &Api<Task>, operator: &mut Operator, next: &mut usize, seconds: u64) -> Result<(f64, f64)> {
    let cpu = operator.cpu_seconds();
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let stop = serde_json::json!({"spec": {"desiredStatus": "STOPPED"}});
    while Instant::now() < end {
        tick.tick().await;
        create_tasks(api, *next..*next + 1).await?;
        // Task i stopped at the i-th tick after the initial set (IDs are spread, so some are on the
        // first page and most are not).
        let stopped = task_id(*next - STOP_OFFSET.min(*next));
        api.patch(&stopped, &PatchParams::default(), &Patch::Merge(&stop)).await?;
        *next += 1;
    }
    Ok((operator.cpu_seconds() - cpu, operator.rss_mib()))
}

/// How far behind the newest task the task a churn tick stops is: one of the initial set.
const STOP_OFFSET: usize = 100;

/// Signs in with the access key (the console's operator mode) and returns the session cookie.
async fn sign_in(console: &str, id: &str, secret: &str) -> Result<String> {
    let body = format!("access_key_id={id}&secret_access_key={secret}&token=");
    let origin = format!("http://{console}");
    let headers = [("Origin", origin.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
    let answer = request(console, "POST", "/sign-in", &headers, &body).await?;
    answer
        .head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.trim().eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| {
            v.trim().split(';').next().filter(|c| c.starts_with("kube_ecs_console=")).map(str::to_string)
        })
        .with_context(|| format!("no session cookie from the sign-in ({}): {}", answer.status, answer.body))
}

/// The stream URL the page put in its markup (`data-stream`).
fn live_path(html: &str) -> Option<String> {
    let start = html.find("data-stream=\"")? + "data-stream=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}

/// A viewer: the stream read until aborted, counting the fragments it receives into `received`.
async fn follow(console: String, path: String, cookie: String, received: Arc<AtomicUsize>) -> Result<()> {
    let mut stream = tokio::net::TcpStream::connect(&console).await?;
    let head =
        format!("GET {path} HTTP/1.1\r\nHost: {console}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = stream.read(&mut buffer).await?;
        anyhow::ensure!(n > 0, "the console ended the stream");
        let fragments = String::from_utf8_lossy(&buffer[..n]).matches("event: fragment").count();
        received.fetch_add(fragments, Ordering::Relaxed);
    }
}

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn server_timing(&self) -> Option<f64> {
        let value = self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case("server-timing").then(|| v.trim().to_string())
        })?;
        value.trim_start_matches("render;dur=").parse().ok()
    }
}

async fn get(console: &str, path: &str, cookie: &str) -> Result<Answer> {
    request(console, "GET", path, &[("Cookie", cookie)], "").await
}

/// One HTTP/1.1 request with `Connection: close`, read to the end.
async fn request(console: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Result<Answer> {
    let mut stream = tokio::net::TcpStream::connect(console).await?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {console}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()));
    stream.write_all(head.as_bytes()).await?;
    let mut received = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut received))
        .await
        .context("the console answered within 60 s")??;
    let text = String::from_utf8_lossy(&received).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok(Answer { status, head: head.to_string(), body: body.to_string() })
}
