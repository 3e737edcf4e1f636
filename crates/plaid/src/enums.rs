//! Unknown-tolerant string enums: Plaid adds enum values without a version bump, so every enum
//! this crate decodes keeps values it does not know in an `Other(String)` variant instead of
//! failing the whole response.

/// Declares a string enum with an `Other(String)` fallback, `as_str`, `Display`, `From<&str>`,
/// `From<String>` and string (de)serialization.
///
/// Build values with `From` (`"posted".into()`) rather than `Other("posted".into())`: only `From`
/// maps a known string to its named variant, and equality compares variants.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $value:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this client does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $value, )*
                    Self::Other(value) => value,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $value => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $( $value => Self::$variant, )*
                    _ => Self::Other(value),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(value))
            }
        }
    };
}

pub(crate) use string_enum;

#[cfg(test)]
mod tests {
    string_enum! {
        /// Test enum.
        pub enum Colour {
            /// red
            Red => "red",
        }
    }

    #[test]
    fn known_and_unknown_values_round_trip() {
        let red: Colour = serde_json::from_str("\"red\"").unwrap();
        assert_eq!(red, Colour::Red);
        let mauve: Colour = serde_json::from_str("\"mauve\"").unwrap();
        assert_eq!(mauve, Colour::Other("mauve".into()));
        assert_eq!(serde_json::to_string(&mauve).unwrap(), "\"mauve\"");
        assert_eq!(Colour::from("red".to_owned()), Colour::Red);
        assert_eq!(Colour::Red.to_string(), "red");
    }
}
