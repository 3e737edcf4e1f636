//! [`Topology`]: every JetStream stream penny uses and its settings, decided in one place.
//!
//! One owner applies it ([`Topology::apply`]: create or bring every stream to these settings),
//! `pennyctl streams apply` on an operator's machine or the Helm pre-install/pre-upgrade hook in
//! a cluster. Services never rewrite a stream: at start, when allowed (the development default),
//! they only create what is missing ([`Topology::create_missing`]), and their readiness reports
//! not-ready while a stream they need is absent ([`Topology::check`]). So an operator's 10 GiB
//! `PLAID_WEBHOOKS` stays 10 GiB whichever service restarts.

use anyhow::Context as _;
use async_nats::jetstream;
use futures::future::BoxFuture;

use crate::streams::{
    DEAD_LETTERS, Ensured, PENNY_EVENTS, PLAID_WEBHOOKS, StreamError, StreamSettings,
    create_stream_if_missing, dead_letters_config, ensure_stream, penny_events_config,
    plaid_webhooks_config, stream_exists,
};

/// The settings of every stream.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Topology {
    /// `PLAID_WEBHOOKS`: the raw webhooks ingress accepted.
    pub plaid_webhooks: StreamSettings,
    /// `PENNY_EVENTS`: the domain events.
    pub penny_events: StreamSettings,
    /// `DEAD_LETTERS`: parked messages.
    pub dead_letters: StreamSettings,
}

impl Topology {
    /// The defaults for every stream with `replicas` replicas.
    pub fn with_replicas(replicas: usize) -> Self {
        let settings = StreamSettings {
            replicas,
            ..StreamSettings::default()
        };
        Self {
            plaid_webhooks: settings.clone(),
            penny_events: settings.clone(),
            dead_letters: settings,
        }
    }

    /// Every stream's JetStream configuration, in the order they are applied.
    pub fn configs(&self) -> Vec<jetstream::stream::Config> {
        vec![
            plaid_webhooks_config(&self.plaid_webhooks),
            penny_events_config(&self.penny_events),
            dead_letters_config(&self.dead_letters),
        ]
    }

    /// The configuration of stream `name`, if it is one of penny's.
    pub fn config_of(&self, name: &str) -> Option<jetstream::stream::Config> {
        self.configs().into_iter().find(|c| c.name == name)
    }

    /// The owner's operation: creates every stream, or brings it to these settings.
    pub async fn apply(
        &self,
        js: &jetstream::Context,
    ) -> Result<Vec<(String, Ensured)>, StreamError> {
        let mut out = Vec::new();
        for config in self.configs() {
            let name = config.name.clone();
            out.push((name, ensure_stream(js, config).await?));
        }
        Ok(out)
    }

    /// Creates those of `names` that do not exist, with these settings; never changes an
    /// existing stream. Returns the names it created.
    pub async fn create_missing(
        &self,
        js: &jetstream::Context,
        names: &[&str],
    ) -> Result<Vec<String>, StreamError> {
        let mut created = Vec::new();
        for config in self.configs() {
            if !names.contains(&config.name.as_str()) {
                continue;
            }
            let name = config.name.clone();
            if create_stream_if_missing(js, config).await? {
                created.push(name);
            }
        }
        Ok(created)
    }

    /// `Ok` when every stream of `names` exists; otherwise which are missing (or that NATS
    /// could not be asked). For readiness checks.
    pub async fn check(js: &jetstream::Context, names: &[&str]) -> Result<(), String> {
        let mut missing = Vec::new();
        for name in names {
            if !stream_exists(js, name).await {
                missing.push(*name);
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "stream(s) missing or unreachable: {}",
                missing.join(", ")
            ))
        }
    }
}

/// Connects the service `name` to NATS at `url`; when `create` holds settings (allowed: the
/// development default), creates those of `streams` that are missing, never changing one that
/// exists.
pub async fn connect_jetstream(
    url: &str,
    name: &str,
    create: Option<&Topology>,
    streams: &[&str],
) -> anyhow::Result<jetstream::Context> {
    let js = jetstream::new(crate::connect(url, name).await?);
    if let Some(topology) = create {
        topology
            .create_missing(&js, streams)
            .await
            .context("creating missing streams")?;
    }
    Ok(js)
}

/// A readiness probe for `streams`: creates the missing ones first when `create` holds
/// settings (a stream deleted while the service runs comes back), then reports which are
/// missing ([`Topology::check`]).
pub fn streams_probe(
    js: jetstream::Context,
    create: Option<Topology>,
    streams: &'static [&'static str],
) -> impl Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync + 'static {
    move || {
        let (js, create) = (js.clone(), create.clone());
        Box::pin(async move {
            if let Some(topology) = create {
                topology
                    .create_missing(&js, streams)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Topology::check(&js, streams).await
        })
    }
}

/// Every stream penny uses.
pub const ALL_STREAMS: [&str; 3] = [PLAID_WEBHOOKS, PENNY_EVENTS, DEAD_LETTERS];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_reach_every_stream() {
        let t = Topology::with_replicas(3);
        assert!(t.configs().iter().all(|c| c.num_replicas == 3));
        assert_eq!(
            t.configs()
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            ALL_STREAMS
        );
        assert_eq!(
            t.config_of(PENNY_EVENTS).map(|c| c.subjects),
            Some(vec!["penny.event.>".to_owned()])
        );
        assert!(t.config_of("OTHER").is_none());
    }
}
