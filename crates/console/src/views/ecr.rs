//! ECR's pages: the namespace's repositories, and a repository with its images (tags, digest,
//! pushed at, size, in use), its lifecycle policy with a preview of what it would expire now (the
//! domain's `ecr::evaluate`, the evaluator the Repository controller runs, never deleting anything
//! here; a draft policy typed on the page is previewed the same way, as ECR's console previews a
//! policy before it is saved), the images the policy expired, and "View push commands" naming this
//! registry's push address and ECR API endpoint. Everything is read as the identity from the
//! Repository objects (their status is the registry as the controller last saw it).

use kube::api::{Api, ListParams};
use kube_ecs_api::repository::{ImageDetail, Repository};
use kube_ecs_domain::ecr::{self, Evaluation, Image, LifecyclePolicy};
use maud::{Markup, html};

use super::{fmt, gitops};
use crate::error::Result;

/// Where users push and log in, as the console was told (`kube-ecs console --ecr-endpoint
/// --ecs-api-endpoint`, or the operator's own settings). Unset: the repository URI's host, and the
/// `--endpoint-url` left for the user to fill in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EcrEndpoints {
    /// The registry users push to: `host[:port]` (a scheme given is dropped).
    pub registry: Option<String>,
    /// The ECR API's URL (`aws ecr --endpoint-url`).
    pub api: Option<String>,
}

pub async fn repositories(client: &kube::Client, ns: &str) -> Result<Markup> {
    let mut repositories = Api::<Repository>::namespaced(client.clone(), ns).list(&ListParams::default()).await?.items;
    repositories.sort_by(|a, b| a.spec.repository_name.cmp(&b.spec.repository_name));
    Ok(html! {
        h1 { "Private repositories" span.count { " (" (repositories.len()) ")" } }
        table.list #repositories {
            thead { tr {
                th { "Repository name" } th { "URI" } th { "Images" } th { "Tag immutability" }
                th { "Lifecycle policy" } th { "Created at" }
            } }
            tbody {
                @for repository in &repositories {
                    @let status = repository.status.clone().unwrap_or_default();
                    @let object = repository.metadata.name.clone().unwrap_or_default();
                    tr {
                        td { a href={ "/ns/" (ns) "/repositories/" (object) } { (repository.spec.repository_name) } }
                        td { code { (status.repository_uri.as_deref().unwrap_or(fmt::NONE)) } }
                        td.num { (fmt::opt(status.image_count)) }
                        td { (fmt::opt_word(status.image_tag_mutability.as_ref())) }
                        td { @match &repository.spec.lifecycle_policy { Some(p) => { (p.rules.len()) " rules" }, None => { (fmt::NONE) } } }
                        td { (fmt::time(status.created_at.as_ref())) }
                    }
                }
                @if repositories.is_empty() { tr { td colspan="6" { "No repositories in namespace " (ns) "." } } }
            }
        }
    })
}

/// The registry host users push to: the configured one, else the repository URI's.
fn push_registry(endpoints: &EcrEndpoints, uri: &str) -> String {
    match &endpoints.registry {
        Some(registry) => {
            let bare = registry.trim_start_matches("https://").trim_start_matches("http://");
            bare.trim_end_matches('/').to_string()
        }
        None => uri.split_once('/').map_or(uri, |(host, _)| host).to_string(),
    }
}

/// The region of a repository ARN (`arn:aws:ecr:<region>:...`).
fn region(arn: Option<&str>) -> &str {
    arn.and_then(|a| a.split(':').nth(3)).filter(|r| !r.is_empty()).unwrap_or("us-east-1")
}

/// "View push commands" (a `<details>`: no script needed to open it).
pub fn push_commands(endpoints: &EcrEndpoints, repository: &Repository) -> Markup {
    let status = repository.status.clone().unwrap_or_default();
    let name = &repository.spec.repository_name;
    let uri = status.repository_uri.clone().unwrap_or_else(|| name.clone());
    let registry = push_registry(endpoints, &uri);
    let region = region(status.repository_arn.as_deref());
    let endpoint = endpoints.api.as_deref().map(|url| format!(" --endpoint-url {url}")).unwrap_or_default();
    let login = format!("aws ecr get-login-password --region {region}{endpoint}");
    let local = name.rsplit('/').next().unwrap_or(name);
    html! {
        details.push #push {
            summary #view-push-commands { "View push commands" }
            p { "1. Get a password (12 hours) with your ECS API access key and log your client in to this registry:" }
            pre.json #push-login { (login) " | docker login --username AWS --password-stdin " (registry) }
            @if endpoints.api.is_none() {
                p.muted { "Add " code { "--endpoint-url <this cluster's ECS API URL>" } " (docs/ecs-api.md): the console was not told it." }
            }
            p { "2. Build, tag and push your image:" }
            pre.json #push-commands {
                "docker build -t " (local) " .\n"
                "docker tag " (local) ":latest " (registry) "/" (name) ":latest\n"
                "docker push " (registry) "/" (name) ":latest"
            }
            p { "Or without a Docker daemon, with crane:" }
            pre.json #push-crane {
                (login) " | crane auth login " (registry) " -u AWS --password-stdin\n"
                "crane push image.tar " (registry) "/" (name) ":latest"
            }
            p.muted { "Task definitions name the image " code { (uri) ":latest" } "; container instances pull it from the registry (docs/ecr.md)." }
        }
    }
}

/// What `policy` would expire among `images` now (images in use are kept and listed apart).
pub fn preview(policy: &LifecyclePolicy, images: &[ImageDetail], now: jiff::Timestamp) -> Evaluation {
    let candidates: Vec<Image> = images
        .iter()
        .map(|i| Image {
            digest: i.image_digest.clone(),
            tags: i.image_tags.clone(),
            pushed_at: i.image_pushed_at.as_ref().map_or(now, |t| t.0),
        })
        .collect();
    let in_use = |image: &Image| images.iter().any(|i| i.image_digest == image.digest && i.in_use == Some(true));
    ecr::evaluate(policy, &candidates, now, &in_use)
}

fn tags(tags: &[String]) -> String {
    if tags.is_empty() { "<untagged>".into() } else { tags.join(", ") }
}

fn size(bytes: Option<i64>) -> String {
    bytes.map_or_else(|| fmt::NONE.to_string(), |b| format!("{:.2} MB", b as f64 / 1_000_000.0))
}

fn render_preview(evaluation: &Evaluation, images: &[ImageDetail]) -> Markup {
    let image = |digest: &str| images.iter().find(|i| i.image_digest == digest);
    html! {
        table.list #lifecycle-preview {
            thead { tr { th { "Image tags" } th { "Digest" } th { "Pushed at" } th { "Rule priority" } th { "Why" } } }
            tbody {
                @for expiry in &evaluation.expired {
                    @let found = image(&expiry.digest);
                    tr data-digest=(expiry.digest) {
                        td { (tags(found.map(|i| i.image_tags.as_slice()).unwrap_or_default())) }
                        td { code { (expiry.digest) } }
                        td { (found.and_then(|i| i.image_pushed_at.as_ref()).map_or_else(|| fmt::NONE.to_string(), |t| t.0.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())) }
                        td.num { (expiry.rule_priority) }
                        td { (expiry.reason.to_string()) }
                    }
                }
                @if evaluation.expired.is_empty() { tr { td colspan="5" { "The policy would expire no image now." } } }
            }
        }
        @if !evaluation.kept_in_use.is_empty() {
            p.muted #kept-in-use { "Kept because a task or service uses them: "
                @for (digest, rule) in &evaluation.kept_in_use { code { (digest) } " (rule " (rule) ") " } }
        }
    }
}

/// What the lifecycle-policy form brings back besides the page: its CSRF token, the manifest asked
/// for instead of saving, or why saving failed.
#[derive(Default)]
pub struct PolicyForm<'a> {
    pub csrf: &'a str,
    pub manifest: Option<&'a serde_json::Value>,
    pub error: Option<&'a crate::error::ConsoleError>,
    /// Whether RBAC lets the identity patch the repository (SelfSubjectAccessReview).
    pub may_save: bool,
}

/// A repository's live part, read as the identity (what its page's stream re-renders).
pub async fn repository_live(client: &kube::Client, ns: &str, object: &str) -> Result<Markup> {
    let repository = Api::<Repository>::namespaced(client.clone(), ns).get(object).await?;
    Ok(live_part(&repository, jiff::Timestamp::now()))
}

/// What changes by itself on a repository's page: its summary, its images, what its policy would
/// expire now and what it has expired.
pub fn live_part(repository: &Repository, now: jiff::Timestamp) -> Markup {
    let status = repository.status.clone().unwrap_or_default();
    let current = ecr::plan::policy(repository);
    let current_json = repository.spec.lifecycle_policy.as_ref().and_then(|p| serde_json::to_string_pretty(p).ok());
    html! {
        dl.summary #repository-summary {
            div.wide { dt { "URI" } dd #repository-uri { code { (status.repository_uri.as_deref().unwrap_or(fmt::NONE)) } } }
            div { dt { "Images" } dd #image-count { (fmt::opt(status.image_count)) } }
            div { dt { "Tag immutability" } dd { (fmt::opt_word(status.image_tag_mutability.as_ref())) } }
            div { dt { "Created at" } dd { (fmt::time(status.created_at.as_ref())) } }
            div { dt { "Lifecycle policy last ran" } dd { (fmt::time(status.last_lifecycle_run.as_ref())) } }
        }
        h2 { "Images" }
        table.list #images {
            thead { tr { th { "Image tags" } th { "Digest" } th { "Pushed at" } th { "Size" } th { "In use" } } }
            tbody {
                @for image in &status.images {
                    tr data-digest=(image.image_digest) {
                        td.tags { (tags(&image.image_tags)) }
                        td { code { (image.image_digest) } }
                        td { (image.image_pushed_at.as_ref().map_or_else(|| fmt::NONE.to_string(), |t| t.0.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())) }
                        td.num { (size(image.image_size_in_bytes)) }
                        td { (if image.in_use == Some(true) { "yes" } else { "" }) }
                    }
                }
                @if status.images.is_empty() { tr { td colspan="5" { "No images yet: see the push commands." } } }
            }
        }
        h2 { "Lifecycle policy" }
        @match (&current, &current_json) {
            (Some(Ok(policy)), Some(json)) => {
                p { "What the policy would expire now (a preview: nothing is deleted here; the controller applies it when it runs):" }
                (render_preview(&preview(policy, &status.images, now), &status.images))
                pre.json #lifecycle-policy { (json) }
            }
            (Some(Err(e)), _) => { div.error { "The policy cannot be evaluated: " (e.message) } }
            _ => { p.muted #no-policy { "No lifecycle policy: no image expires." } }
        }
        @if !status.expired_images.is_empty() {
            h2 { "Expired by the lifecycle policy" }
            table.list #expired-images {
                thead { tr { th { "Image tags" } th { "Digest" } th { "Expired at" } th { "Rule priority" } } }
                tbody {
                    @for image in &status.expired_images {
                        tr {
                            td { (tags(&image.image_tags)) } td { code { (image.image_digest) } }
                            td { (fmt::time(image.expired_at.as_ref())) } td.num { (fmt::opt(image.applied_rule_priority)) }
                        }
                    }
                }
            }
        }
    }
}

/// A repository's page around its live part (`live`, as [`live_part`] rendered it): the push
/// commands and the policy editor. `draft`: a lifecycle policy's JSON typed on the page, to preview.
pub fn repository(
    repository: &Repository,
    ns: &str,
    endpoints: &EcrEndpoints,
    draft: Option<&str>,
    form: &PolicyForm<'_>,
    live: Markup,
) -> Markup {
    let object = repository.metadata.name.as_deref().unwrap_or_default();
    let owner = gitops::owned_by(&repository.metadata);
    let status = repository.status.clone().unwrap_or_default();
    let name = &repository.spec.repository_name;
    let current_json = repository.spec.lifecycle_policy.as_ref().and_then(|p| serde_json::to_string_pretty(p).ok());
    let draft = draft.map(str::trim).filter(|d| !d.is_empty());
    let draft_result =
        draft.map(|text| ecr::parse(text).map(|policy| preview(&policy, &status.images, jiff::Timestamp::now())));
    html! {
        p.crumbs { a href={ "/ns/" (ns) "/repositories" } { "Private repositories" } " › " (name) }
        h1 { (name) }
        @if let Some(owner) = &owner { (gitops::read_only(owner, "This repository")) }
        div #live-part { (live) }
        (push_commands(endpoints, repository))
        h3 { "Preview a policy" }
        @if let Some(e) = form.error { div #form-error { (super::layout::error_box(e)) } }
        form.run-task method="post" action={ "/ns/" (ns) "/repositories/" (object) "/lifecycle-policy" } {
            input type="hidden" name="_csrf" value=(form.csrf);
            label for="policy" { "Lifecycle policy JSON (ECR's), previewed against the images above" }
            textarea #policy name="policy" rows="8" cols="80" { (draft.or(current_json.as_deref()).unwrap_or_default()) }
            div.form-buttons {
                button #preview type="submit" name="intent" value="preview" { "Preview" }
                @if form.may_save && owner.is_none() {
                    button.primary #save-policy type="submit" name="intent" value="apply" { "Save as lifecycle policy" }
                }
                button #submit-manifest type="submit" name="intent" value="manifest" { "Show manifest" }
                button #submit-download type="submit" name="intent" value="download" { "Download manifest" }
            }
            p.muted { "Saving sets the Repository's spec.lifecyclePolicy as you; the controller runs a new policy at once, "
                "so the images the preview lists are deleted (never one a task or service uses)." }
        }
        @if let Some(manifest) = form.manifest { (gitops::shown(manifest)) }
        @match &draft_result {
            Some(Ok(evaluation)) => { section #draft-preview { (render_preview(evaluation, &status.images)) } }
            Some(Err(e)) => { div.error #draft-error { "ECR would refuse this policy: " (e.message) } }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
    use pretty_assertions::assert_eq;

    use super::*;

    fn image(digest: &str, tag: &str, minutes_ago: i64, in_use: bool) -> ImageDetail {
        let at = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes_ago);
        ImageDetail {
            image_digest: digest.into(),
            image_tags: vec![tag.into()],
            image_pushed_at: Some(MicroTime(at)),
            image_size_in_bytes: Some(2_000_000),
            in_use: Some(in_use),
        }
    }

    #[test]
    fn the_preview_expires_the_oldest_beyond_the_count_and_keeps_images_in_use() {
        let policy = ecr::parse(
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#,
        )
        .expect("policy");
        let images = [
            image("sha256:new", "v3", 1, false),
            image("sha256:mid", "v2", 2, true),
            image("sha256:old", "v1", 3, false),
        ];
        let evaluation = preview(&policy, &images, jiff::Timestamp::now());
        let expired: Vec<&str> = evaluation.expired.iter().map(|e| e.digest.as_str()).collect();
        assert_eq!(expired, ["sha256:old"]);
        assert_eq!(evaluation.kept_in_use, vec![("sha256:mid".to_string(), 1)]);
    }

    #[test]
    fn push_commands_name_the_configured_registry_and_endpoint() {
        let repository: Repository = serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Repository", "metadata": {"name": "web"},
            "spec": {"repositoryName": "team-a/web"},
            "status": {"repositoryUri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team-a/web",
                "repositoryArn": "arn:aws:ecr:eu-west-1:123456789012:repository/team-a/web"}}))
        .expect("repository");
        let configured = EcrEndpoints {
            registry: Some("https://ecr.example.com".into()),
            api: Some("https://ecs.example.com".into()),
        };
        let markup = push_commands(&configured, &repository).into_string();
        assert!(markup.contains("aws ecr get-login-password --region eu-west-1 --endpoint-url https://ecs.example.com | docker login --username AWS --password-stdin ecr.example.com"), "{markup}");
        assert!(markup.contains("docker push ecr.example.com/team-a/web:latest"), "{markup}");
        let unset = push_commands(&EcrEndpoints::default(), &repository).into_string();
        assert!(
            unset.contains("docker push 123456789012.dkr.ecr.eu-west-1.amazonaws.com/team-a/web:latest"),
            "{unset}"
        );
        assert_eq!(size(Some(2_500_000)), "2.50 MB");
    }
}
