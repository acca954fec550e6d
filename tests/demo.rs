//! The README's first command, end to end: `kube-ecs demo` starts its own control plane with real
//! container instances, installs the CRDs, runs the operator, applies examples/ and shows their ECS
//! status: the scheduled batch task's first run finishes with exit 0 and the web service answers the
//! printed curl command; the printed console link opens in headless Chromium.

mod support;

#[path = "console/browser.rs"]
#[allow(dead_code)]
mod browser;

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
    for expected in
        ["default-on-demand-0", "default-spot-1", "default/web", "default/api", "default/nightly-report", "demo/web"]
    {
        assert!(frame.contains(expected), "the view shows {expected}:\n{frame}\n{stderr}");
    }
    let cluster_line = frame.lines().find(|l| l.starts_with("default ")).unwrap_or_default();
    assert!(cluster_line.contains("ACTIVE"), "cluster ACTIVE: {cluster_line}");
    // On real container instances the batch task really finishes, with its command's exit code.
    let task_line = frame.lines().find(|l| l.contains("default/nightly-report")).unwrap_or_default();
    assert!(
        task_line.contains("STOPPED")
            && task_line.contains("EssentialContainerExited")
            && task_line.trim_end().ends_with(" 0"),
        "the batch task finishes with exit code 0: {task_line}\n{stderr}"
    );
    assert!(
        frame.lines().any(|l| l.starts_with("WEB SERVICE (real containers") && l.contains(": curl http://")),
        "the demo prints a curl command:\n{frame}"
    );
}

/// `curl <url>` for a plain `http://ip[:port]/` URL: the response body (or the error).
fn http_get(url: &str) -> String {
    use std::io::{Read, Write};
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let address = if host.contains(':') { host.to_string() } else { format!("{host}:80") };
    let attempt = || -> std::io::Result<String> {
        let addr: std::net::SocketAddr = address.parse().map_err(std::io::Error::other)?;
        let mut stream = std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(3))?;
        stream.set_read_timeout(Some(std::time::Duration::from_secs(3)))?;
        stream.write_all(b"GET / HTTP/1.0\r\n\r\n")?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok(response)
    };
    attempt().unwrap_or_else(|e| format!("error: {e}"))
}

/// Processes whose command line mentions `needle` (the demo's cluster directory).
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) {
            found.push(format!("{}: {cmdline}", entry.file_name().to_string_lossy()));
        }
    }
    found
}

#[test]
fn one_ctrl_c_while_frames_are_drawn_stops_the_demo_and_everything_it_started() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kube-ecs"))
        .args(["demo", "--examples", concat!(env!("CARGO_MANIFEST_DIR"), "/examples")])
        .env("KUBE_ECS_TOOLS_BIN", support::tools_bin())
        .env("KUBE_ECS_AWS_BIN", support::ecs_api::aws_bin())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starting kube-ecs demo");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().expect("stderr");
    let err_tx = tx.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = err_tx.send(format!("stderr: {line}"));
        }
    });
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Wait for the second frame: the view is being redrawn every 2 seconds from then on.
    let (mut frames, mut dir, mut seen) = (0, None::<String>, Vec::new());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(240);
    while frames < 2 {
        let line =
            rx.recv_timeout(std::time::Duration::from_secs(240)).unwrap_or_else(|_| panic!("no frame: {seen:#?}"));
        if let Some(path) = line.split("kubeconfig: ").nth(1) {
            dir = std::path::Path::new(path.trim()).parent().map(|p| p.display().to_string());
        }
        if line.contains("kube-ecs demo —") {
            frames += 1;
        }
        seen.push(line);
        assert!(std::time::Instant::now() < deadline, "the demo never drew two frames: {seen:#?}");
    }
    // The printed curl command works: the web service's task answers from this machine.
    let url = loop {
        if let Some(url) = seen.iter().rev().find_map(|l| l.split("curl ").nth(1).map(|u| u.trim().to_string())) {
            break url;
        }
        let line =
            rx.recv_timeout(std::time::Duration::from_secs(120)).unwrap_or_else(|_| panic!("no curl line: {seen:#?}"));
        seen.push(line);
        assert!(std::time::Instant::now() < deadline, "the demo never printed a curl command: {seen:#?}");
    };
    let body = http_get(&url);
    assert!(body.contains("hello from task"), "curl {url}: {body}");
    // The printed `aws ecs` command works as printed: the ECS API lists the example service.
    let command = seen
        .iter()
        .find_map(|l| l.split("[demo] ECS API: ").nth(1).map(str::to_string))
        .unwrap_or_else(|| panic!("the demo prints an aws command: {seen:#?}"));
    let output = std::process::Command::new("bash")
        .args(["-c", &command])
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("running the demo's aws command");
    let listed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{command}: {}", String::from_utf8_lossy(&output.stderr));
    assert!(listed.contains("service/default/web"), "{command}: {listed}");
    // ECR: the printed commands work as printed; the example repository lists the pushed image.
    let printed = |prefix: &str| {
        seen.iter()
            .find_map(|l| l.split(prefix).nth(1).map(str::to_string))
            .unwrap_or_else(|| panic!("the demo prints {prefix:?}: {seen:#?}"))
    };
    // The printed `docker login` writes credentials here; removed when the test ends, pass or fail.
    let docker_config =
        RemovedOnDrop(std::env::temp_dir().join(format!("kube-ecs-demo-docker-{}", std::process::id())));
    let run = |command: &str| {
        let output = std::process::Command::new("bash")
            .args(["-c", command])
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("DOCKER_CONFIG", &docker_config.0)
            .output()
            .expect("running a printed command");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "{command}: {stdout}{}", String::from_utf8_lossy(&output.stderr));
        stdout
    };
    let ecr = printed("[demo] ECR API: ");
    let repositories = run(&ecr);
    assert!(repositories.contains("\"repositoryName\": \"demo/web\""), "{ecr}: {repositories}");
    run(&printed("[demo] push an image: "));
    let images = run(&ecr.replace("describe-repositories", "describe-images --repository-name demo/web"));
    assert!(images.contains("\"imageTags\"") && images.contains("\"1\""), "the pushed image: {images}");
    // The console: the printed link signs headless Chromium in; the clusters page lists the demo's
    // cluster and its Services tab the example service.
    let console = printed("[demo] console (the link signs one browser in, once): ");
    tokio::runtime::Runtime::new().expect("a runtime for the browser").block_on(async {
        let browser = browser::Browser::open().await;
        browser.client.goto(console.trim()).await.expect("opening the printed console link");
        browser.click("//table[@id='clusters']//a[text()='default']").await;
        browser.wait_for("//table[@id='services']//a[text()='web']").await;
        browser.screenshot("demo-cluster-services").await;
        browser.close().await;
    });
    let dir = dir.expect("the demo names its kubeconfig");
    assert!(!processes_mentioning(&dir).is_empty(), "the control plane runs from {dir}");
    // One SIGINT, as one Ctrl-C in a terminal sends.
    let pid = i32::try_from(child.id()).expect("pid");
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let stopped = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the demo") {
            break status;
        }
        assert!(stopped.elapsed() < std::time::Duration::from_secs(30), "one Ctrl-C did not stop the demo within 30 s");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(status.success(), "the demo exits cleanly on Ctrl-C: {status:?}");
    let left = processes_mentioning(&dir);
    assert!(left.is_empty(), "nothing the demo started is left running: {left:#?}");
    assert!(!std::path::Path::new(&dir).exists(), "the demo's data directory {dir} is removed");
}

/// A directory removed when it goes out of scope.
struct RemovedOnDrop(std::path::PathBuf);

impl Drop for RemovedOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
