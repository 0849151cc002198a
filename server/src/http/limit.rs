//! Per-client rate limits (a token bucket per IP) and who the client is behind trusted proxies (X-Forwarded-For, read from the right).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

use crate::config::IpNet;

/// Buckets kept at most; past this, full ones (clients that are idle) are dropped first.
const MAX_CLIENTS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// `per_minute` requests per client IP, in bursts of up to as many.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    pub fn per_minute(per_minute: u32) -> Self {
        let per_minute = f64::from(per_minute.max(1));
        Self {
            per_second: per_minute / 60.0,
            burst: per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `ip`; `Err(retry after)` when there is none.
    pub fn take(&self, ip: IpAddr) -> Result<(), Duration> {
        self.take_at(ip, Instant::now())
    }

    /// Whether `ip` has a token left, without taking it (for limits that count failures).
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        let buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        match buckets.get(&ip) {
            Some(bucket) => {
                let tokens = self.refilled(bucket, Instant::now());
                if tokens >= 1.0 {
                    Ok(())
                } else {
                    Err(self.wait_for(tokens))
                }
            }
            None => Ok(()),
        }
    }

    pub fn take_at(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&ip) {
            let (per_second, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * per_second < burst
            });
            if buckets.len() >= MAX_CLIENTS {
                // Every known client is mid-burst: refuse the newcomer rather than grow.
                return Err(Duration::from_secs(1));
            }
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let tokens = self.refilled(bucket, now);
        if tokens >= 1.0 {
            *bucket = Bucket {
                tokens: tokens - 1.0,
                at: now,
            };
            Ok(())
        } else {
            *bucket = Bucket { tokens, at: now };
            Err(self.wait_for(tokens))
        }
    }

    fn refilled(&self, bucket: &Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        (bucket.tokens + elapsed * self.per_second).min(self.burst)
    }

    fn wait_for(&self, tokens: f64) -> Duration {
        Duration::from_secs_f64(((1.0 - tokens) / self.per_second).max(0.0))
            .max(Duration::from_secs(1))
    }
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the last address in
/// `X-Forwarded-For` that is not one (a client can put anything at the left of that header;
/// only what the trusted proxies appended is believed).
pub fn client_ip(peer: Option<SocketAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.map_or(IpAddr::from([0, 0, 0, 0]), |p| p.ip());
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(*ip))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn a_burst_then_the_steady_rate() {
        let limiter = RateLimiter::per_minute(6);
        let ip: IpAddr = "192.0.2.1".parse().expect("ip");
        let other: IpAddr = "192.0.2.2".parse().expect("ip");
        let t0 = Instant::now();
        for _ in 0..6 {
            assert_eq!(limiter.take_at(ip, t0), Ok(()));
        }
        let wait = limiter.take_at(ip, t0).expect_err("over the burst");
        assert!(
            (Duration::from_secs(9)..=Duration::from_secs(10)).contains(&wait),
            "{wait:?}"
        );
        assert_eq!(limiter.take_at(other, t0), Ok(()), "per client");
        // One token every 10 s.
        assert!(limiter.take_at(ip, t0 + Duration::from_secs(5)).is_err());
        assert_eq!(limiter.take_at(ip, t0 + Duration::from_secs(11)), Ok(()));
        assert!(limiter.take_at(ip, t0 + Duration::from_secs(12)).is_err());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = [IpNet::parse("10.0.0.0/8").expect("net")];
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 203.0.113.9, 10.1.1.1"),
        );
        let proxy: SocketAddr = "10.0.0.2:5000".parse().expect("addr");
        let direct: SocketAddr = "198.51.100.4:5000".parse().expect("addr");
        assert_eq!(
            client_ip(Some(proxy), &headers, &trusted),
            "203.0.113.9".parse::<IpAddr>().expect("ip"),
            "the address the trusted proxies saw, not the client's own claim"
        );
        assert_eq!(
            client_ip(Some(direct), &headers, &trusted),
            "198.51.100.4".parse::<IpAddr>().expect("ip"),
            "an untrusted peer's header is ignored"
        );
        assert_eq!(
            client_ip(Some(proxy), &HeaderMap::new(), &trusted),
            "10.0.0.2".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(
            client_ip(Some(proxy), &headers, &[]),
            "10.0.0.2".parse::<IpAddr>().expect("ip"),
            "no trusted proxies: the peer"
        );
    }
}
