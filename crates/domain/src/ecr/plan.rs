//! A Repository's reconcile, the pure part: whether its lifecycle policy runs now and what it
//! expires, and the status that reports the repository (as ECR's `DescribeRepositories` and
//! `DescribeImages` would), given what the registry holds and which images tasks use.

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use kube::ResourceExt as _;
use kube_ecs_api::conditions::{Conditions, READY, RECONCILING, STALLED, VALID};
use kube_ecs_api::ecs::ImageTagMutability;
use kube_ecs_api::repository::{ExpiredImage, ImageDetail, Repository, RepositoryStatus};

use super::reference::Used;
use super::{Evaluation, Image, LifecyclePolicy, PolicyError};

/// At most this many images in the status (`imageCount` counts them all), newest first.
pub const MAX_STATUS_IMAGES: usize = 1000;
/// At most this many expired images are remembered, most recent first.
pub const MAX_EXPIRED_IMAGES: usize = 100;

/// Condition reasons of a Repository.
pub mod reasons {
    pub const SERVING: &str = "Serving";
    pub const NAME_TAKEN: &str = "RepositoryNameTaken";
    pub const REGISTRY_UNAVAILABLE: &str = "RegistryUnavailable";
    pub const VALID: &str = "Valid";
    pub const INVALID_POLICY: &str = "InvalidLifecyclePolicy";
    /// Event reasons.
    pub const EXPIRED: &str = "ImagesExpired";
    pub const KEPT_IN_USE: &str = "ImageInUseKept";
    pub const EXPIRY_FAILED: &str = "ImageExpiryFailed";
}

/// Where the registry is, for the names in the status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registry {
    /// `123456789012.dkr.ecr.us-east-1.amazonaws.com`.
    pub host: String,
    pub region: String,
    /// The registry ID (the account).
    pub account: String,
}

impl Registry {
    pub fn arn(&self, repository_name: &str) -> String {
        format!("arn:aws:ecr:{}:{}:repository/{repository_name}", self.region, self.account)
    }

    pub fn uri(&self, repository_name: &str) -> String {
        format!("{}/{repository_name}", self.host)
    }
}

/// The repository's lifecycle policy as the evaluator's type, if it has one. The apply-time rules
/// hold the same rules as `parse`, so an error here means an object from before those rules.
pub fn policy(repository: &Repository) -> Option<Result<LifecyclePolicy, PolicyError>> {
    let policy = repository.spec.lifecycle_policy.as_ref()?;
    Some(match serde_json::to_string(policy) {
        Ok(text) => super::parse(&text),
        Err(e) => Err(PolicyError { message: e.to_string() }),
    })
}

/// Whether the lifecycle policy runs now: never run, the spec changed since the last status (a new
/// policy runs at once, as ECR starts evaluating a policy once it is set), or `period` elapsed.
pub fn lifecycle_due(repository: &Repository, now: Timestamp, period: SignedDuration) -> bool {
    let status = repository.status.as_ref();
    let Some(last) = status.and_then(|s| s.last_lifecycle_run.as_ref()) else { return true };
    let changed = status.and_then(|s| s.observed_generation) != repository.metadata.generation;
    changed || now.duration_since(last.0) >= period
}

/// What the policy does to `images` now, never touching one that `used` covers.
pub fn evaluate(policy: &LifecyclePolicy, images: &[ImageDetail], used: &Used, now: Timestamp) -> Evaluation {
    let images: Vec<Image> = images
        .iter()
        .map(|i| Image {
            digest: i.image_digest.clone(),
            tags: i.image_tags.clone(),
            pushed_at: i.image_pushed_at.as_ref().map_or(now, |t| t.0),
        })
        .collect();
    super::evaluate(policy, &images, now, &|image| used.covers(&image.digest, &image.tags))
}

/// What one reconcile found, for the status.
pub struct Observed<'a> {
    pub repository: &'a Repository,
    pub registry: &'a Registry,
    /// `namespace/name` of the Repository that holds the name, when it is not this one.
    pub held_by: Option<String>,
    /// The images now (newest first), or why the registry could not say.
    pub images: Result<&'a [ImageDetail], String>,
    pub used: &'a Used,
    /// The policy's problem, if it cannot be evaluated.
    pub policy_error: Option<String>,
    /// Images this reconcile expired (deleted from the registry), oldest first.
    pub expired: Vec<ExpiredImage>,
    /// When the lifecycle ran in this reconcile.
    pub lifecycle_ran: Option<Timestamp>,
    pub now: Timestamp,
}

/// The status the Repository reports.
pub fn status(observed: Observed<'_>) -> RepositoryStatus {
    let repository = observed.repository;
    let previous = repository.status.clone().unwrap_or_default();
    let name = &repository.spec.repository_name;
    let now = Time(observed.now);
    let generation = repository.metadata.generation;
    let mut status = RepositoryStatus {
        observed_generation: generation,
        repository_arn: Some(observed.registry.arn(name)),
        registry_id: Some(observed.registry.account.clone()),
        repository_uri: Some(observed.registry.uri(name)),
        created_at: repository.metadata.creation_timestamp.clone(),
        image_tag_mutability: Some(repository.spec.enforced_image_tag_mutability()),
        last_lifecycle_run: observed.lifecycle_ran.map(Time).or(previous.last_lifecycle_run.clone()),
        unsupported_fields: unsupported_fields(repository),
        conditions: previous.conditions.clone(),
        ..Default::default()
    };
    // Most recent first; the newest expiry of this run first among them.
    let mut expired: Vec<ExpiredImage> = observed.expired.into_iter().rev().collect();
    expired.extend(previous.expired_images.iter().cloned());
    expired.truncate(MAX_EXPIRED_IMAGES);
    status.expired_images = expired;

    let mut conditions = Conditions::of(&mut status.conditions, generation, &now);
    match &observed.policy_error {
        Some(error) => conditions.set(VALID, false, reasons::INVALID_POLICY, format!("lifecyclePolicy: {error}")),
        None => conditions.set(VALID, true, reasons::VALID, "the spec is valid"),
    };
    if let Some(holder) = &observed.held_by {
        let message = format!(
            "repositoryName {name} is held by Repository {holder}, created earlier: one registry serves every \
             namespace, so a name has one holder. Choose another repositoryName (prefix it with the team) or \
             delete {holder}."
        );
        conditions.refused(READY, reasons::NAME_TAKEN, &message);
        return status;
    }
    match observed.images {
        Ok(images) => {
            status.image_count = Some(images.len() as i64);
            status.images = images
                .iter()
                .take(MAX_STATUS_IMAGES)
                .map(|i| ImageDetail {
                    in_use: observed.used.covers(&i.image_digest, &i.image_tags).then_some(true),
                    ..i.clone()
                })
                .collect();
            conditions
                .set(READY, true, reasons::SERVING, format!("push and pull at {}", observed.registry.uri(name)))
                .remove(STALLED)
                .remove(RECONCILING);
        }
        Err(error) => {
            // What was known stays: the registry being away does not empty the repository.
            status.image_count = previous.image_count;
            status.images = previous.images.clone();
            conditions
                .set(READY, false, reasons::REGISTRY_UNAVAILABLE, format!("the registry did not answer: {error}"))
                .remove(STALLED);
        }
    }
    status
}

/// An image the lifecycle expired, for the status.
pub fn expired_image(image: &ImageDetail, rule_priority: u32, at: Timestamp) -> ExpiredImage {
    ExpiredImage {
        image_digest: image.image_digest.clone(),
        image_tags: image.image_tags.clone(),
        image_pushed_at: image.image_pushed_at.clone(),
        expired_at: Some(Time(at)),
        applied_rule_priority: i32::try_from(rule_priority).ok(),
    }
}

/// The pushed-at of an image as a `MicroTime`.
pub fn pushed_at(at: Timestamp) -> MicroTime {
    MicroTime(at)
}

/// Accepted fields kube-ecs does not act on, as JSON paths.
pub fn unsupported_fields(repository: &Repository) -> Vec<String> {
    let spec = &repository.spec;
    let mut fields = Vec::new();
    if matches!(
        spec.image_tag_mutability,
        Some(ImageTagMutability::ImmutableWithExclusion | ImageTagMutability::MutableWithExclusion)
    ) || !spec.image_tag_mutability_exclusion_filters.is_empty()
    {
        fields.push("spec.imageTagMutabilityExclusionFilters".to_string());
    }
    if spec.image_scanning_configuration.is_some() {
        fields.push("spec.imageScanningConfiguration".to_string());
    }
    if spec.encryption_configuration.is_some() {
        fields.push("spec.encryptionConfiguration".to_string());
    }
    fields
}

/// `namespace/name` of a Repository.
pub fn key(repository: &Repository) -> String {
    format!("{}/{}", repository.namespace().unwrap_or_default(), repository.name_any())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube_ecs_api::conditions;

    fn repository(spec: serde_json::Value, status: Option<serde_json::Value>) -> Repository {
        let mut object = serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Repository",
            "metadata": {"name": "web", "namespace": "team-a", "generation": 2, "creationTimestamp": "2026-12-01T00:00:00Z"},
            "spec": spec,
        });
        if let Some(status) = status {
            object["status"] = status;
        }
        serde_json::from_value(object).expect("repository")
    }

    fn registry() -> Registry {
        Registry {
            host: "123456789012.dkr.ecr.us-east-1.amazonaws.com".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
        }
    }

    fn image(digest: &str, tags: &[&str], second: i64) -> ImageDetail {
        ImageDetail {
            image_digest: digest.into(),
            image_tags: tags.iter().map(|t| t.to_string()).collect(),
            image_pushed_at: Some(MicroTime(Timestamp::from_second(second).expect("time"))),
            image_size_in_bytes: Some(10),
            in_use: None,
        }
    }

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).expect("time")
    }

    #[test]
    fn the_lifecycle_runs_first_on_a_new_spec_and_then_each_period() {
        let hour = SignedDuration::from_hours(1);
        let never = repository(serde_json::json!({"repositoryName": "web"}), None);
        let ran = |generation: i64, second: i64| {
            repository(
                serde_json::json!({"repositoryName": "web"}),
                Some(serde_json::json!({"observedGeneration": generation, "lastLifecycleRun": Time(at(second))})),
            )
        };
        assert!(lifecycle_due(&never, at(0), hour));
        assert!(!lifecycle_due(&ran(2, 1000), at(1000 + 3599), hour));
        assert!(lifecycle_due(&ran(2, 1000), at(1000 + 3600), hour));
        assert!(lifecycle_due(&ran(1, 1000), at(1001), hour), "a changed spec runs the new policy at once");
    }

    #[test]
    fn keep_the_last_two_expires_the_older_images_but_not_one_in_use() {
        let repo = repository(
            serde_json::json!({"repositoryName": "web", "lifecyclePolicy": {"rules": [{"rulePriority": 1,
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2},
                "action": {"type": "expire"}}]}}),
            None,
        );
        let policy = policy(&repo).expect("a policy").expect("valid");
        let images = [
            image("sha256:4", &["4"], 40),
            image("sha256:3", &["3"], 30),
            image("sha256:2", &["2"], 20),
            image("sha256:1", &["1"], 10),
        ];
        let nothing = Used::default();
        let expired: Vec<_> =
            evaluate(&policy, &images, &nothing, at(100)).expired.into_iter().map(|e| e.digest).collect();
        assert_eq!(expired, ["sha256:1", "sha256:2"]);
        let used = Used { tags: ["1".to_string()].into(), ..Default::default() };
        let evaluation = evaluate(&policy, &images, &used, at(100));
        assert_eq!(evaluation.expired.iter().map(|e| e.digest.as_str()).collect::<Vec<_>>(), ["sha256:2"]);
        assert_eq!(evaluation.kept_in_use, [("sha256:1".to_string(), 1)]);
    }

    #[test]
    fn the_status_reports_the_repository_its_images_and_who_holds_a_taken_name() {
        let repo = repository(
            serde_json::json!({"repositoryName": "team-a/web", "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                "imageScanningConfiguration": {"scanOnPush": true}}),
            None,
        );
        let images = [image("sha256:2", &["2"], 20), image("sha256:1", &["1"], 10)];
        let used = Used { digests: ["sha256:1".to_string()].into(), ..Default::default() };
        let registry = registry();
        fn observed<'a>(
            repo: &'a Repository,
            registry: &'a Registry,
            used: &'a Used,
            held_by: Option<String>,
            images: Result<&'a [ImageDetail], String>,
        ) -> Observed<'a> {
            Observed {
                repository: repo,
                registry,
                held_by,
                images,
                used,
                policy_error: None,
                expired: vec![expired_image(&image("sha256:0", &["0"], 5), 1, at(50))],
                lifecycle_ran: Some(at(50)),
                now: at(60),
            }
        }
        let serving = status(observed(&repo, &registry, &used, None, Ok(&images)));
        assert_eq!(serving.repository_uri.as_deref(), Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/team-a/web"));
        assert_eq!(serving.repository_arn.as_deref(), Some("arn:aws:ecr:us-east-1:123456789012:repository/team-a/web"));
        assert_eq!(serving.image_tag_mutability, Some(ImageTagMutability::Immutable));
        assert_eq!(serving.image_count, Some(2));
        assert_eq!(serving.images.iter().map(|i| i.in_use).collect::<Vec<_>>(), [None, Some(true)]);
        assert_eq!(serving.expired_images[0].image_digest, "sha256:0");
        assert_eq!(
            serving.unsupported_fields,
            ["spec.imageTagMutabilityExclusionFilters", "spec.imageScanningConfiguration"]
        );
        assert!(conditions::is_true(&serving.conditions, READY));

        let taken = status(observed(&repo, &registry, &used, Some("team-b/web".into()), Ok(&images)));
        let ready = conditions::find(&taken.conditions, READY).expect("Ready");
        assert_eq!((ready.status.as_str(), ready.reason.as_str()), ("False", reasons::NAME_TAKEN));
        assert!(ready.message.contains("team-b/web"), "{}", ready.message);
        assert!(taken.images.is_empty());

        let away = status(observed(&repo, &registry, &used, None, Err("connection refused".into())));
        let ready = conditions::find(&away.conditions, READY).expect("Ready");
        assert_eq!(ready.reason, reasons::REGISTRY_UNAVAILABLE);
    }
}
