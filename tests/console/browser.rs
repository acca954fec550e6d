//! Headless Chromium driven over WebDriver: Debian's `chromium` and `chromium-driver`
//! (hack/install-deps.sh installs them), one chromedriver and one fresh browser profile per test,
//! screenshots kept under target/console-screenshots.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

/// How long a page may take to show what a test waits for, unless the test says otherwise.
pub const PAGE_WAIT: Duration = Duration::from_secs(60);

pub struct Browser {
    pub client: Client,
    driver: Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

impl Browser {
    pub async fn open() -> Self {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver (hack/install-deps.sh installs Debian's chromium-driver)");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        while !kube_ecs::local_cluster::accepts_connections(address, Duration::from_millis(200)) {
            assert!(tokio::time::Instant::now() < deadline, "chromedriver never listened on {port}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                // Root has no sandbox user namespace here; /dev/shm is small in containers.
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=1200,820", "--hide-scrollbars"],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a headless Chromium session");
        Self { client, driver }
    }

    /// Waits for the element `xpath` names.
    pub async fn wait_for(&self, xpath: &str) -> fantoccini::elements::Element {
        self.wait_within(xpath, PAGE_WAIT).await
    }

    pub async fn wait_within(&self, xpath: &str, budget: Duration) -> fantoccini::elements::Element {
        match self.client.wait().at_most(budget).for_element(Locator::XPath(xpath)).await {
            Ok(element) => element,
            Err(e) => {
                let page = self.client.source().await.unwrap_or_default();
                let url = self.client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
                panic!("waited {budget:?} for {xpath} on {url}: {e}\npage:\n{page}");
            }
        }
    }

    /// Clicks the element `xpath` names. A live page may replace its content between finding and
    /// clicking (the element goes stale): then it is found again.
    pub async fn click(&self, xpath: &str) {
        let deadline = tokio::time::Instant::now() + PAGE_WAIT;
        loop {
            match self.wait_for(xpath).await.click().await {
                Ok(()) => return,
                Err(e) if stale(&e) && tokio::time::Instant::now() < deadline => {}
                Err(e) => panic!("clicking {xpath}: {e}"),
            }
        }
    }

    /// Whether an element `xpath` names is on the page now.
    pub async fn has(&self, xpath: &str) -> bool {
        !self.client.find_all(Locator::XPath(xpath)).await.expect("find_all").is_empty()
    }

    /// The text of the element `xpath` names (found again if a live update replaced it).
    pub async fn text(&self, xpath: &str) -> String {
        let deadline = tokio::time::Instant::now() + PAGE_WAIT;
        loop {
            match self.wait_for(xpath).await.text().await {
                Ok(text) => return text,
                Err(e) if stale(&e) && tokio::time::Instant::now() < deadline => {}
                Err(e) => panic!("reading {xpath}: {e}"),
            }
        }
    }

    /// The texts of every element `xpath` names, all read again if a live update replaced one
    /// between finding and reading.
    #[allow(dead_code)] // Each test binary includes this file; not every one reads a list.
    pub async fn texts(&self, xpath: &str) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + PAGE_WAIT;
        'read: loop {
            let mut texts = Vec::new();
            for element in self.client.find_all(Locator::XPath(xpath)).await.expect("find_all") {
                match element.text().await {
                    Ok(text) => texts.push(text),
                    Err(e) if stale(&e) && tokio::time::Instant::now() < deadline => continue 'read,
                    Err(e) => panic!("reading {xpath}: {e}"),
                }
            }
            return texts;
        }
    }

    /// Saves a screenshot as target/console-screenshots/<name>.png (the test's artifact).
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("writing the screenshot");
        path
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// Whether `error` says the element found is no longer in the page (a live update replaced it):
/// WebDriver's stale element reference, or the same as chromedriver sometimes words it, an unknown
/// error "Node with given id does not belong to the document".
fn stale(error: &fantoccini::error::CmdError) -> bool {
    match error {
        fantoccini::error::CmdError::Standard(e) => {
            e.error == fantoccini::error::ErrorStatus::StaleElementReference
                || e.message.contains("does not belong to the document")
        }
        _ => false,
    }
}
