//! The Kubernetes identity behind an access key: a client that impersonates the key's user and
//! groups, so the apiserver's RBAC decides what each request may read and write. The endpoint's own
//! rights are never used for a caller's request.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::EcsError;
use crate::keys::AccessKey;

/// Impersonating clients, one per identity, built from the endpoint's own configuration.
pub struct Identities {
    base: kube::Config,
    clients: Mutex<HashMap<(String, Vec<String>), kube::Client>>,
}

impl Identities {
    pub fn new(base: kube::Config) -> Self {
        Self { base, clients: Mutex::new(HashMap::new()) }
    }

    /// The client that acts as `key`'s identity.
    pub fn client_for(&self, key: &AccessKey) -> Result<kube::Client, EcsError> {
        let identity = (key.username.clone(), key.groups.clone());
        let mut clients = self.clients.lock().map_err(|_| EcsError::server("identity cache poisoned"))?;
        if let Some(client) = clients.get(&identity) {
            return Ok(client.clone());
        }
        let mut config = self.base.clone();
        config.auth_info.impersonate = Some(key.username.clone());
        config.auth_info.impersonate_groups = (!key.groups.is_empty()).then(|| key.groups.clone());
        let client = kube::Client::try_from(config)
            .map_err(|e| EcsError::server(format!("building a client for {}: {e}", key.username)))?;
        clients.insert(identity, client.clone());
        Ok(client)
    }
}
