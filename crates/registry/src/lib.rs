//! kube-ecs's image registry (ECR's registry side).
//!
//! Under it runs a CNCF distribution registry that stores the images; nobody but kube-ecs (and the
//! nodes' image pulls) talks to it. Above it:
//! - [`upstream`]: the client the Repository controller and the ECR API use to list, read and delete
//!   images in the registry under;
//! - [`front`]: the registry users push and pull through, authenticated by the tokens of ECR's
//!   `GetAuthorizationToken` ([`token`]), refusing pushes to repositories that do not exist and
//!   re-pushes of IMMUTABLE tags, with Kubernetes RBAC ([`authorize`]) deciding each push and pull.
//!
//! Repository `team-a/web` lives in the registry under at `<registry host>/team-a/web`, the same path
//! real nodes' containerd mirror configuration (`override_path`) pulls `<registry host>/team-a/web:tag`
//! from, so a Task naming `123456789012.dkr.ecr.us-east-1.amazonaws.com/team-a/web:1` pulls what was
//! pushed through the front.

pub mod authorize;
pub mod directory;
pub mod front;
pub mod images;
pub mod routes;
pub mod token;
pub mod upstream;
