//! The console's CSS and its one script, compiled into the binary and served from this origin (the
//! CSP allows scripts and styles from 'self' only).

use axum::http::header;
use axum::response::IntoResponse;

const CSS: &str = include_str!("../static/console.css");
const LIVE_JS: &str = include_str!("../static/live.js");

pub async fn css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS)
}

pub async fn live_js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], LIVE_JS)
}
