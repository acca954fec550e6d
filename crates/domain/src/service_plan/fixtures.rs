//! Test fixtures shared by the service planners' tables.

use crate::api::service::Service;

/// The Service `shop/web` with the spec `yaml`, as the API server would return it.
pub fn service(yaml: &str) -> Service {
    let spec = serde_yaml::from_str(yaml).expect("service spec");
    let mut s = Service::new("web", spec);
    s.metadata.namespace = Some("shop".into());
    s.metadata.uid = Some("uid-1".into());
    s.metadata.generation = Some(4);
    s
}
