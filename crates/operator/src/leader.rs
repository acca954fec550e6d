//! Leader election on a coordination.k8s.io Lease, as client-go's leaderelection does it: one
//! replica holds the lease and runs the controllers; the others wait. A leader that cannot renew
//! within the renew deadline stops reconciling (the process exits and is restarted as a standby),
//! so two replicas never reconcile at once for longer than the lease allows.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::Client;
use kube::api::{Api, ObjectMeta, PostParams};

/// Lease settings (client-go's defaults: 15s / 10s / 2s).
#[derive(Clone, Debug)]
pub struct LeaseSettings {
    pub namespace: String,
    pub name: String,
    pub identity: String,
    pub lease_duration: Duration,
    pub renew_deadline: Duration,
    pub retry_period: Duration,
}

/// Outcome of one attempt.
#[derive(Debug, PartialEq, Eq)]
enum Attempt {
    Held,
    HeldByOther(String),
}

pub struct LeaderElector {
    api: Api<Lease>,
    settings: LeaseSettings,
}

impl LeaderElector {
    pub fn new(client: Client, settings: LeaseSettings) -> Self {
        Self { api: Api::namespaced(client, &settings.namespace), settings }
    }

    /// Waits until this instance holds the lease.
    pub async fn acquire(&self) {
        let mut reported = None;
        loop {
            match self.try_acquire_or_renew().await {
                Ok(Attempt::Held) => {
                    tracing::info!(lease = %self.settings.name, identity = %self.settings.identity, "acquired the leader lease");
                    return;
                }
                Ok(Attempt::HeldByOther(holder)) => {
                    if reported.as_ref() != Some(&holder) {
                        tracing::info!(%holder, "standing by: another instance holds the leader lease");
                        reported = Some(holder);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "acquiring the leader lease failed"),
            }
            tokio::time::sleep(self.settings.retry_period).await;
        }
    }

    /// Renews the lease every retry period; returns when it could not be renewed within the renew
    /// deadline or another instance took it.
    pub async fn hold(&self) {
        let mut last_renewal = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(self.settings.retry_period).await;
            match tokio::time::timeout(self.settings.renew_deadline, self.try_acquire_or_renew()).await {
                Ok(Ok(Attempt::Held)) => last_renewal = tokio::time::Instant::now(),
                Ok(Ok(Attempt::HeldByOther(holder))) => {
                    tracing::error!(%holder, "lost the leader lease to another instance");
                    return;
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "renewing the leader lease failed"),
                Err(_) => tracing::warn!("renewing the leader lease timed out"),
            }
            if last_renewal.elapsed() > self.settings.renew_deadline {
                tracing::error!("could not renew the leader lease within the renew deadline");
                return;
            }
        }
    }

    /// Gives the lease up on a clean shutdown, so a standby takes over at once.
    pub async fn release(&self) {
        let Ok(Some(mut lease)) = self.api.get_opt(&self.settings.name).await else { return };
        let spec = lease.spec.get_or_insert_with(Default::default);
        if spec.holder_identity.as_deref() != Some(self.settings.identity.as_str()) {
            return;
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        let _ = self.api.replace(&self.settings.name, &PostParams::default(), &lease).await;
    }

    async fn try_acquire_or_renew(&self) -> Result<Attempt, kube::Error> {
        let now = MicroTime(jiff::Timestamp::now());
        let me = self.settings.identity.clone();
        let duration = self.settings.lease_duration.as_secs().max(1) as i32;
        let Some(mut lease) = self.api.get_opt(&self.settings.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.settings.name.clone()),
                    namespace: Some(self.settings.namespace.clone()),
                    ..Default::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(me),
                    lease_duration_seconds: Some(duration),
                    acquire_time: Some(now.clone()),
                    renew_time: Some(now),
                    lease_transitions: Some(0),
                    ..Default::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(Attempt::Held),
                Err(kube::Error::Api(e)) if e.code == 409 => Ok(Attempt::HeldByOther("?".into())),
                Err(e) => Err(e),
            };
        };
        let spec = lease.spec.get_or_insert_with(Default::default);
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        let held_by_me = holder.as_deref() == Some(me.as_str());
        if !held_by_me {
            if let Some(other) = holder {
                let expires = spec.renew_time.as_ref().map(|t| {
                    t.0 + jiff::SignedDuration::from_secs(i64::from(spec.lease_duration_seconds.unwrap_or(duration)))
                });
                if expires.is_some_and(|e| e > now.0) {
                    return Ok(Attempt::HeldByOther(other));
                }
            }
            spec.acquire_time = Some(now.clone());
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
        }
        spec.holder_identity = Some(me);
        spec.lease_duration_seconds = Some(duration);
        spec.renew_time = Some(now);
        // The resourceVersion from the read makes this a compare-and-swap: of two contenders for an
        // expired lease, exactly one succeeds.
        match self.api.replace(&self.settings.name, &PostParams::default(), &lease).await {
            Ok(_) => Ok(Attempt::Held),
            Err(kube::Error::Api(e)) if e.code == 409 => Ok(Attempt::HeldByOther("?".into())),
            Err(e) => Err(e),
        }
    }
}
