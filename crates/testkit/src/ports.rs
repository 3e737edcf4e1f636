//! Free TCP ports for test servers, picked below the kernel's ephemeral range.
//!
//! A port the kernel hands out for `bind(0)` lies in the ephemeral range, the same range it draws
//! from for the local end of every outgoing connection. Between asking for such a port and the
//! child process binding it, any connection on the machine may take it ("address already in use",
//! seen in CI with the whole stack starting while other suites ran). Ports below that range are
//! never assigned implicitly, so only another explicit `bind` can race us: each test process walks
//! the pool from a random start, and skips ports something already holds.

use std::net::TcpListener;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context as _;

/// How many ports below the ephemeral range the pool spans.
const POOL: u16 = 12_000;
/// The pool never reaches below this (well-known and registered services live there).
const FLOOR: u16 = 10_000;

/// A TCP port on 127.0.0.1 that was free when asked and that no outgoing connection will take.
/// Another test binding ports explicitly could still take it before it is used, so prefer
/// letting servers pick their own port (port 0 / `-p -1`) where they can report it.
pub fn free_port() -> anyhow::Result<u16> {
    let Some((low, size)) = pool() else {
        return ephemeral();
    };
    let cursor = cursor();
    for _ in 0..size {
        let offset = cursor.fetch_add(1, Ordering::Relaxed) % u32::from(size);
        let port = low + offset as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    ephemeral()
}

/// The pool `[low, low + size)`, just below the ephemeral range; `None` when that range starts
/// too low to leave room.
fn pool() -> Option<(u16, u16)> {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32_768);
    let low = ephemeral_low.saturating_sub(POOL).max(FLOOR);
    let size = ephemeral_low.checked_sub(low)?;
    (size >= 1_000).then_some((low, size))
}

/// This process's walk through the pool, from a random start so that parallel test processes
/// rarely meet.
fn cursor() -> &'static AtomicU32 {
    static CURSOR: OnceLock<AtomicU32> = OnceLock::new();
    CURSOR.get_or_init(|| AtomicU32::new(rand::random::<u32>() % u32::from(u16::MAX)))
}

/// A port from the kernel's ephemeral range (the fallback).
fn ephemeral() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_free_port_can_be_bound() {
        let port = free_port().unwrap();
        assert_ne!(port, 0);
        TcpListener::bind(("127.0.0.1", port)).unwrap();
    }

    #[test]
    fn ports_come_from_below_the_ephemeral_range_and_do_not_repeat() {
        let (low, size) = pool().expect("Linux leaves room below 32768");
        let ports: Vec<u16> = (0..50).map(|_| free_port().unwrap()).collect();
        assert!(
            ports.iter().all(|p| (low..low + size).contains(p)),
            "{ports:?} outside {low}..{}",
            low + size
        );
        let distinct: std::collections::HashSet<_> = ports.iter().collect();
        assert_eq!(distinct.len(), ports.len(), "{ports:?}");
    }
}
