//! Progress bars for long operations (redrive --all, webhooks replay, keys rotate): drawn on
//! stderr, and only when stderr is a terminal and the output is not `--json`, so scripts and
//! logs never see them.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar of `len` steps (`None`: a spinner) labelled `what`.
pub fn bar(len: Option<u64>, what: &str, json: bool) -> ProgressBar {
    let bar = match len {
        Some(len) => ProgressBar::new(len),
        None => ProgressBar::new_spinner(),
    };
    if json {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    } else {
        bar.set_draw_target(ProgressDrawTarget::stderr());
    }
    let template = match len {
        Some(_) => "{msg} [{bar:40}] {pos}/{len} ({eta})",
        None => "{spinner} {msg} {pos}",
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}
