//! Admin console logic, pure: provider presets and the configuration checklist.

pub mod check;
pub mod presets;
