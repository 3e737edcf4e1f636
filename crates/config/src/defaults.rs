//! [`defaults`]: a configuration group's defaults, read from its clap attributes, so each
//! default is written once (`default_value = "5s"` on the field) and `impl Default` cannot
//! drift from what `--help` shows. Environment variables are ignored: a test's or a CI
//! runner's `PENNY_*` never leaks into a default.

use clap::{Args, Command, FromArgMatches};

/// The value of `T` when no flag is given and no environment variable is set.
///
/// # Panics
///
/// When a field of `T` has no default (a required argument): that is a bug in `T`'s
/// declaration, caught by the tests every config type has for its defaults.
pub fn defaults<T: Args + FromArgMatches>() -> T {
    let command = T::augment_args(Command::new("defaults").no_binary_name(true))
        .mut_args(|arg| arg.env(None));
    let parsed = command
        .try_get_matches_from(std::iter::empty::<String>())
        .and_then(|matches| T::from_arg_matches(&matches));
    match parsed {
        Ok(value) => value,
        Err(error) => panic!(
            "{} must have a default for every field: {error}",
            std::any::type_name::<T>()
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[derive(clap::Args, Debug, PartialEq)]
    struct Example {
        #[arg(long, env = "PENNY_DEFAULTS_EXAMPLE_WAIT", default_value = "5s", value_parser = crate::parse_duration)]
        wait: Duration,
        #[arg(long, env = "PATH", default_value_t = 3)]
        count: u32,
        #[arg(long)]
        optional: Option<String>,
    }

    #[test]
    fn defaults_come_from_the_attributes_and_ignore_the_environment() {
        // PATH is set in every test process; it must not reach the default.
        assert_eq!(
            defaults::<Example>(),
            Example {
                wait: Duration::from_secs(5),
                count: 3,
                optional: None,
            }
        );
    }
}
