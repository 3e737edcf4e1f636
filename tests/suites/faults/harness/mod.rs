//! What every case shares: [`Case`] starts the stack, links the cohort and triggers the burst;
//! [`Case::finish`] settles, prints the [`Figures`] and asserts that nothing was lost or
//! doubled ([`Case::report`] does the same for the [`deposits`]); [`Size`] says how large a
//! case is; [`Random`] picks its fault points; [`retry_until_delivered`] brings Plaid's
//! retries of refused webhooks forward.

mod case;
pub mod deposits;
mod figures;
mod random;
mod retries;
mod size;

pub use case::{Case, FaultEnd, Tally};
pub use figures::Figures;
pub use random::Random;
pub use retries::retry_until_delivered;
pub use size::Size;
