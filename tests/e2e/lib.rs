//! End-to-end test harness shared by the tests in this package.
