//! Test-only fault injection shared by the services: [`crash_points!`](crate::crash_points)
//! declares a service's crash points (an enum whose values are the hidden `--crash-at` flag's
//! words), and [`maybe_crash`] aborts the process at the configured one, so crash tests can
//! kill the real binary at an exact step and prove what survives.

use std::fmt::Display;

/// Aborts the process if `configured` is `here`. Never configure a crash point in production.
pub fn maybe_crash<P: PartialEq + Display>(configured: Option<P>, here: P) {
    if configured.as_ref() == Some(&here) {
        tracing::error!(crash_at = %here, "fault injection: aborting the process");
        std::process::abort();
    }
}

/// Declares a crash-point enum: `Copy`, `Eq`, `ALL`, `as_str` (the flag word), `Display` and
/// `FromStr` (an unknown word is refused with the list of known ones).
///
/// ```
/// penny_runtime::crash_points! {
///     /// Where to abort.
///     pub enum CrashPoint {
///         /// After the claim.
///         AfterClaim = "after-claim",
///         /// After the send.
///         AfterSend = "after-send",
///     }
/// }
/// assert_eq!("after-send".parse::<CrashPoint>(), Ok(CrashPoint::AfterSend));
/// assert_eq!(CrashPoint::AfterClaim.to_string(), "after-claim");
/// assert!("mid-air".parse::<CrashPoint>().unwrap_err().contains("after-claim | after-send"));
/// penny_runtime::crash::maybe_crash(None, CrashPoint::AfterSend);
/// penny_runtime::crash::maybe_crash(Some(CrashPoint::AfterClaim), CrashPoint::AfterSend);
/// ```
#[macro_export]
macro_rules! crash_points {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every point.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The flag word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $word ),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::string::String;

            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                $name::ALL.iter().copied().find(|p| p.as_str() == s).ok_or_else(|| {
                    let known: ::std::vec::Vec<&str> =
                        $name::ALL.iter().map(|p| p.as_str()).collect();
                    format!("unknown crash point {s:?} ({})", known.join(" | "))
                })
            }
        }
    };
}
