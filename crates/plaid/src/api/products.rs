//! Enums shared by several endpoints: products and country codes.

use crate::enums::string_enum;

string_enum! {
    /// A Plaid product (`Products` in the spec; only the ones penny meets are named).
    pub enum Product {
        /// Account and routing numbers.
        Auth => "auth",
        /// Plaid Transfer.
        Transfer => "transfer",
        /// Balance (not allowed in `/link/token/create`).
        Balance => "balance",
        /// Transactions.
        Transactions => "transactions",
        /// Identity.
        Identity => "identity",
        /// Signal.
        Signal => "signal",
        /// Assets.
        Assets => "assets",
        /// Investments.
        Investments => "investments",
        /// Liabilities.
        Liabilities => "liabilities",
    }
}

string_enum! {
    /// An ISO-3166-1 alpha-2 country code accepted by Link (`US` for every micro-deposit flow).
    pub enum CountryCode {
        /// United States.
        Us => "US",
        /// Canada.
        Ca => "CA",
        /// United Kingdom.
        Gb => "GB",
    }
}
