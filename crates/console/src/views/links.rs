//! Links built from data. A page links to its own paths (built from object names that
//! [`crate::page::is_name`] checked); any other URL taken from data (a tag value, a log line)
//! becomes a link only with a scheme on the allowlist, so `javascript:` and `data:` stay text.

use maud::{Markup, html};

/// The schemes a link from data may have.
const ALLOWED_SCHEMES: &[&str] = &["https", "http"];

/// `text` as a link when it is a URL with an allowed scheme, else as plain (escaped) text.
pub fn external(text: &str) -> Markup {
    match safe_url(text) {
        Some(url) => html! { a href=(url) rel="noopener noreferrer nofollow" target="_blank" { (text) } },
        None => html! { (text) },
    }
}

/// `url` when its scheme is allowed. The scheme is read as browsers read it: leading spaces and
/// control characters dropped, case folded (`  JaVaScRiPt:` is `javascript:`).
fn safe_url(url: &str) -> Option<&str> {
    let trimmed = url.trim_start_matches(|c: char| c.is_whitespace() || c.is_control());
    let (scheme, rest) = trimmed.split_once(':')?;
    let allowed = ALLOWED_SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme));
    (allowed && rest.starts_with("//") && !url.chars().any(|c| c.is_control() || c.is_whitespace())).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_become_links() {
        assert!(external("https://example.com/x").into_string().starts_with("<a href=\"https://example.com/x\""));
        for text in [
            "javascript:alert(1)",
            "  JaVaScRiPt:alert(1)",
            "\u{1}javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:x",
            "https:evil",
            "/relative",
            "java\tscript:alert(1)",
        ] {
            let markup = external(text).into_string();
            assert!(!markup.contains("<a"), "{text:?} became a link: {markup}");
            assert!(!markup.contains("<script"), "{text:?} was not escaped: {markup}");
        }
    }
}
