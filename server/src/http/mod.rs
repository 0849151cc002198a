//! HTTP plumbing below the routes: the accept loop with its timeouts and caps, and per-client rate limits.

pub mod limit;
pub mod serve;
