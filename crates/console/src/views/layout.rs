//! The page shell: the header (who is signed in, the namespace), the navigation, and the `<main>`
//! the live stream replaces. No inline script or style: the CSP forbids both.

use maud::{DOCTYPE, Markup, html};

use crate::session::Session;

/// A whole page around `body`. `stream`: the live stream's URL when the page updates itself.
pub fn page(title: &str, session: &Session, ns: &str, body: Markup, stream: Option<String>) -> Markup {
    let identity = &session.identity;
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " | kube-ecs console" }
                link rel="stylesheet" href="/static/console.css";
                @if stream.is_some() { script src="/static/live.js" defer {} }
            }
            body {
                header.top {
                    a.brand href={ "/ns/" (ns) "/clusters" } { "kube-ecs" span { " · Amazon ECS" } }
                    nav {
                        a href={ "/ns/" (ns) "/clusters" } { "Clusters" }
                        a href={ "/ns/" (ns) "/task-definitions" } { "Task definitions" }
                        a href={ "/ns/" (ns) "/repositories" } { "ECR" }
                    }
                    form.ns method="get" action="/switch" {
                        label for="ns" { "Namespace" }
                        input #ns type="text" name="ns" value=(ns) size="16";
                    }
                    div.who #who title=(identity.groups.join(", ")) {
                        "Signed in as " strong { (identity.username) }
                    }
                    form.sign-out method="post" action="/sign-out" {
                        input type="hidden" name="_csrf" value=(session.csrf);
                        button #sign-out type="submit" { "Sign out" }
                    }
                }
                main #live data-stream=[stream] {
                    (body)
                }
            }
        }
    }
}

/// A page that is not a console page (sign-in, errors) in the same look.
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) " | kube-ecs console" }
                link rel="stylesheet" href="/static/console.css";
            }
            body {
                header.top { span.brand { "kube-ecs" span { " · Amazon ECS" } } }
                main { (body) }
            }
        }
    }
}

/// The apiserver's (or the console's) refusal, shown where the content would be.
pub fn error_box(error: &crate::error::ConsoleError) -> Markup {
    html! {
        div.error role="alert" {
            strong { (error.status().as_u16()) " " (error.status().canonical_reason().unwrap_or("")) }
            ": " (error.to_string())
        }
    }
}
