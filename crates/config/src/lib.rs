//! Typed configuration shared by penny's services: a redacting [`Secret`] type and the `clap`
//! argument groups (`PENNY_*` environment variables with local defaults) that every service
//! flattens into its own config. Each field is documented, so `--help` lists every setting.

mod secret;

pub use secret::Secret;
