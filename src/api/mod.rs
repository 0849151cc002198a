//! The server's admin API: DTOs (plain serde, host-tested) and, in the browser, the client.

pub mod types;

#[cfg(target_arch = "wasm32")]
pub mod client;

pub use types::*;
