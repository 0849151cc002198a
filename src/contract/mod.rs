//! The wire contract between the SPA and sso-server: paths, bodies, settings and error codes,
//! defined once and compiled into both. The server writes these types and the browser reads
//! them (by hand where the first visit's bundle must stay small, with serde in the admin
//! bundle), and the contract tests check each writer against its reader.

pub mod admin;
pub mod config;
pub mod error;
pub mod session;
pub mod settings;
