//! What the console's browser tests share (tests/console*.rs each include it as `ui`, beside
//! `support`): the WebDriver browser, the `kube-ecs console` process, hand-made HTTP requests, and
//! the steps every test takes (signing in, filling forms, a task definition to run).

pub mod browser;
pub mod common;
pub mod process;
pub mod raw_http;
