//! Where signatures are checked: on the async workers, or on a [`VerifyPool`] of threads of
//! their own, chosen by `PENNY_INGRESS_VERIFY_THREADS` or, by default, by timing this
//! machine's P-256 verify at start.
//!
//! The trade-off, measured with `just bench` on 2 vCPUs shared with nats-server and the load
//! generator: a check on an async worker holds up the I/O queued behind it there (HTTP bytes,
//! PubAcks) for as long as the verify takes; the pool does not, but every webhook pays a
//! hand-off to another thread and back. Where a verify took 94 µs, the pool halved the
//! half-load p99 at the same throughput. Where it takes 32 µs, checking inline gave 14 % more
//! throughput (23.3k/s against 20.5k/s at concurrency 64, 9 µs less CPU per webhook) and a
//! lower half-load p99 (median 2.7 ms against 4.1 ms at 11k/s). `auto` therefore checks
//! inline when a verify costs at most [`INLINE_MAX`], on a pool otherwise.
//!
//! [`VerifyPool`]: super::pool::VerifyPool

use std::str::FromStr;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
    ParsedPublicKey,
};

/// Longest verify that `auto` still runs on the async workers (between the two machines
/// measured above).
pub const INLINE_MAX: Duration = Duration::from_micros(60);

/// How signatures are checked (`PENNY_INGRESS_VERIFY_THREADS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerifyMode {
    /// Time a verify at start and choose (`auto`).
    #[default]
    Auto,
    /// On the async workers (`0`).
    Inline,
    /// On this many threads of their own (`n` ≥ 1).
    Pool(usize),
}

impl FromStr for VerifyMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "auto" => Ok(Self::Auto),
            "0" | "inline" => Ok(Self::Inline),
            n => match n.parse::<usize>() {
                Ok(n) if n <= 1024 => Ok(Self::Pool(n)),
                _ => Err(format!(
                    "expected `auto`, `0` (on the async workers) or a thread count up to 1024, \
                     got `{s}`"
                )),
            },
        }
    }
}

impl std::fmt::Display for VerifyMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Inline => f.write_str("0"),
            Self::Pool(n) => write!(f, "{n}"),
        }
    }
}

impl VerifyMode {
    /// How many verification threads to start (0: check on the async workers), `Auto` decided
    /// by timing this machine (one thread per core when the pool wins). Also returns the
    /// measured cost, when measured.
    pub fn threads(self) -> (usize, Option<Duration>) {
        match self {
            Self::Auto => match verify_cost() {
                Some(cost) if cost <= INLINE_MAX => (0, Some(cost)),
                cost => {
                    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
                    (cores, cost)
                }
            },
            Self::Inline => (0, None),
            Self::Pool(n) => (n, None),
        }
    }
}

/// The cost of one P-256 verify of a webhook-sized token on this machine: the fastest of a few
/// rounds (the minimum ignores rounds another process interrupted), about 5 ms in all. `None`
/// if no throwaway key could be made.
pub fn verify_cost() -> Option<Duration> {
    const ROUNDS: u32 = 8;
    const PER_ROUND: u32 = 16;
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).ok()?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).ok()?;
    let message = [b'x'; 300];
    let signature = pair.sign(&rng, &message).ok()?;
    let public = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref()).ok()?;
    (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..PER_ROUND {
                let _ = std::hint::black_box(public.verify_sig(&message, signature.as_ref()));
            }
            started.elapsed() / PER_ROUND
        })
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_setting() {
        assert_eq!("auto".parse(), Ok(VerifyMode::Auto));
        assert_eq!("0".parse(), Ok(VerifyMode::Inline));
        assert_eq!("inline".parse(), Ok(VerifyMode::Inline));
        assert_eq!("4".parse(), Ok(VerifyMode::Pool(4)));
        let err = "many".parse::<VerifyMode>().unwrap_err();
        assert!(err.contains("`many`"), "{err}");
        assert!("-1".parse::<VerifyMode>().is_err());
        assert!("100000".parse::<VerifyMode>().is_err());
        for mode in [VerifyMode::Auto, VerifyMode::Inline, VerifyMode::Pool(3)] {
            assert_eq!(mode.to_string().parse(), Ok(mode));
        }
    }

    #[test]
    fn auto_times_a_real_verify_and_picks_a_concrete_mode() {
        let cost = verify_cost().expect("a throwaway key");
        // Any machine this runs on verifies in more than a microsecond and less than a second.
        assert!(
            cost > Duration::from_micros(1) && cost < Duration::from_secs(1),
            "{cost:?}"
        );
        let (threads, measured) = VerifyMode::Auto.threads();
        assert!(measured.is_some());
        match threads {
            0 => assert!(measured <= Some(INLINE_MAX)),
            n => assert!(n >= 1 && measured > Some(INLINE_MAX)),
        }
        assert_eq!(VerifyMode::Pool(2).threads(), (2, None));
        assert_eq!(VerifyMode::Inline.threads(), (0, None));
    }
}
