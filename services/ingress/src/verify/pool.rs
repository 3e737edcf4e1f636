//! Signature checks on threads of their own.
//!
//! Where a P-256 verify is slow (94 µs on one machine we measured), running it on the async
//! workers holds up everything queued behind it there: the bytes of other requests, the
//! PubAcks async-nats is waiting to read, the responses to write. Here the workers only hand
//! the check to a small pool and await the answer; they stay free for I/O, which the kernel
//! schedules promptly because those threads mostly sleep. Whether that hand-off is worth its
//! cost depends on the machine: see [`super::mode`].

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

use super::keys::CachedKey;

/// One signature check: the key, the signed bytes, the JOSE `r || s` signature, and where the
/// answer goes.
struct Job {
    key: Arc<CachedKey>,
    signing_input: Vec<u8>,
    signature: [u8; 64],
    reply: oneshot::Sender<bool>,
}

/// The pool could not check the signature (its threads are gone): our fault, not the
/// webhook's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolUnavailable;

/// A fixed set of threads checking ES256 signatures. Dropping the pool ends its threads once
/// the queued checks are done.
#[derive(Debug)]
pub(crate) struct VerifyPool {
    jobs: Sender<Job>,
}

impl VerifyPool {
    /// Starts `threads` (at least one) threads named `penny-verify-<n>`.
    pub(crate) fn start(threads: usize) -> std::io::Result<Self> {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("penny-verify-{n}"))
                .spawn(move || work(&queue))?;
        }
        Ok(Self { jobs })
    }

    /// Whether `signature` over `signing_input` verifies with `key`.
    pub(crate) async fn verify(
        &self,
        key: Arc<CachedKey>,
        signing_input: &[u8],
        signature: [u8; 64],
    ) -> Result<bool, PoolUnavailable> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            key,
            signing_input: signing_input.to_vec(),
            signature,
            reply,
        };
        self.jobs.send(job).map_err(|_| PoolUnavailable)?;
        answer.await.map_err(|_| PoolUnavailable)
    }
}

/// A pool thread: take the next job (the queue lock is held only while waiting for one), check
/// it, answer; end when the pool is dropped.
fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = next else { return };
        let valid = job.key.signed(&job.signing_input, &job.signature);
        // The request may have gone away meanwhile; nothing to do then.
        let _ = job.reply.send(valid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
        ParsedPublicKey,
    };

    #[tokio::test]
    async fn checks_signatures_on_its_threads() {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        let public =
            ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref()).unwrap();
        let key = Arc::new(CachedKey {
            public,
            expired_at: None,
        });
        let signature: [u8; 64] = pair
            .sign(&rng, b"signed bytes")
            .unwrap()
            .as_ref()
            .try_into()
            .unwrap();

        let pool = VerifyPool::start(2).unwrap();
        let checks = (0..32).map(|i| {
            let (pool, key) = (&pool, Arc::clone(&key));
            async move {
                let input: &[u8] = if i % 2 == 0 {
                    b"signed bytes"
                } else {
                    b"other bytes"
                };
                (i, pool.verify(key, input, signature).await)
            }
        });
        for (i, answer) in futures::future::join_all(checks).await {
            assert_eq!(answer, Ok(i % 2 == 0), "check {i}");
        }
        let mut tampered = signature;
        tampered[0] ^= 1;
        assert_eq!(pool.verify(key, b"signed bytes", tampered).await, Ok(false));
    }
}
