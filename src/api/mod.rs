//! The server's admin API as the admin page uses it: the PUT body for what was typed and the
//! errors to react to (host-tested), and, in the browser, the client. The shapes themselves
//! are the contract's.

pub mod types;

#[cfg(target_arch = "wasm32")]
pub mod client;

pub use types::*;
