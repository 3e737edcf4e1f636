//! penny's end-to-end suites, one module each, in one test binary (one link, one binary on
//! disk). Each module's doc says what it proves; pick one with a nextest filter on its name,
//! e.g. `cargo nextest run -p penny-e2e -E 'test(/^faults::/)'`.

mod burst;
mod faults;
mod full_slice;
mod morning;
mod ops_files;
mod readme;
mod trace;
mod up;
