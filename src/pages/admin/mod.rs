//! `/admin`: SSO settings and sessions, one component per file. Who may see it is decided by
//! the server (`whoami`); these pages only choose the credential and show what it answers.

mod admin_page;
mod admin_sign_in;
mod audit_history;
mod configuration_check;
mod env_badge;
mod field_error;
mod form;
mod preset_picker;
mod register_urls;
mod secret_field;
mod sessions;
mod setting_field;
mod settings_editor;

pub use admin_page::AdminPage;
