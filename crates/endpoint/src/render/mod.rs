//! The custom resources as ECS's (and Repositories as ECR's) wire shapes. Timestamps come from the
//! objects' own records; nothing is invented (each response is checked against botocore's model in
//! the tests).

pub mod cluster;
pub mod instance;
pub mod repository;
pub mod service;
pub mod task;
pub mod task_definition;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube_ecs_wire as wire;

use crate::call::convert;

/// A Kubernetes time as an AWS JSON timestamp.
pub fn timestamp(time: Option<&Time>) -> Option<wire::Timestamp> {
    time.map(|t| wire::Timestamp::from(t.0))
}

/// Tags of a custom resource as ECS's.
pub fn tags(tags: &[kube_ecs_api::common::Tag]) -> Vec<wire::Tag> {
    tags.iter().map(|t| wire::Tag { key: t.key.clone(), value: t.value.clone() }).collect()
}

/// A list of ECS-shaped values as the wire's (same JSON); what does not convert is left out.
pub fn same_shape<A: serde::Serialize, B: serde::de::DeserializeOwned>(items: &[A]) -> Vec<B> {
    items.iter().filter_map(|item| convert(item).ok()).collect()
}
