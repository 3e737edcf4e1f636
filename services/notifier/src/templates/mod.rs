//! Alert texts from template files (`services/notifier/templates/<language>/`, embedded at
//! build time), rendered with minijinja in strict mode: a template naming a value the notifier
//! does not give fails to render instead of printing nothing.
//!
//! Per kind and language, `<kind>.txt` holds three blocks (`subject`, `text` for the plain-text
//! email, `short` for SMS and push) and `<kind>.html` the HTML email (auto-escaped, extending
//! `_layout.html`). A template sees only [`AlertContext`]: the product name, the mask
//! (`••••0000`), the reason category's key and the unsubscribe URL; never an address, a token
//! or a number.

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};

use crate::domain::{AlertFacts, AlertKind};

mod files {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// The language used when a person's locale has no templates.
pub const FALLBACK_LANGUAGE: &str = "en";

/// What templates may show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertContext {
    /// The product's name (`PENNY_NOTIFIER_PRODUCT_NAME`).
    pub product: String,
    /// What the alert may show about the account.
    pub facts: AlertFacts,
    /// The one-click unsubscribe URL (non-protective email only).
    pub unsubscribe_url: Option<String>,
}

/// One alert's texts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The language used.
    pub language: &'static str,
    /// Email subject, push title.
    pub subject: String,
    /// Plain-text email body.
    pub text: String,
    /// HTML email body.
    pub html: String,
    /// SMS text, push body.
    pub short: String,
}

/// A template failed to render (a bug in a template: caught by the tests that render every
/// kind in every language).
#[derive(Debug, thiserror::Error)]
#[error("rendering {template}: {source}")]
pub struct TemplateError {
    template: String,
    #[source]
    source: minijinja::Error,
}

/// Every template, ready to render. Cheap to share (`Arc`).
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    languages: Vec<&'static str>,
}

impl Templates {
    /// Loads the embedded templates.
    pub fn load() -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|source| TemplateError {
                template: "(syntax)".to_owned(),
                source,
            })?;
        env.set_syntax(syntax);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        let mut languages: Vec<&'static str> = Vec::new();
        for (name, source) in files::FILES {
            env.add_template(name, source)
                .map_err(|source| TemplateError {
                    template: (*name).to_owned(),
                    source,
                })?;
            if let Some((language, _)) = name.split_once('/')
                && !languages.contains(&language)
            {
                languages.push(language);
            }
        }
        Ok(Self { env, languages })
    }

    /// The languages with templates.
    pub fn languages(&self) -> &[&'static str] {
        &self.languages
    }

    /// The language for a BCP 47 `locale` (`es-MX` → `es`), or English.
    pub fn language_for(&self, locale: &str) -> &'static str {
        let language = locale
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        self.languages
            .iter()
            .copied()
            .find(|l| *l == language)
            .unwrap_or(FALLBACK_LANGUAGE)
    }

    /// Renders `kind` for a person whose locale is `locale`.
    pub fn render(
        &self,
        kind: AlertKind,
        locale: &str,
        ctx: &AlertContext,
    ) -> Result<Rendered, TemplateError> {
        let language = self.language_for(locale);
        let values = context! {
            product => ctx.product.clone(),
            mask => ctx.facts.display_mask(),
            reason => ctx.facts.reason.map(|r| r.as_str()).unwrap_or_default(),
            unsubscribe_url => ctx.unsubscribe_url.clone().unwrap_or_default(),
        };
        let text_name = format!("{language}/{}.txt", kind.as_str());
        let html_name = format!("{language}/{}.html", kind.as_str());
        let fail = |template: &str| {
            let template = template.to_owned();
            move |source| TemplateError { template, source }
        };
        let text_template = self
            .env
            .get_template(&text_name)
            .map_err(fail(&text_name))?;
        let mut captured = text_template
            .render_captured(values.clone())
            .map_err(fail(&text_name))?;
        let block = |captured: &mut minijinja::Captured<'_>, name: &str| {
            captured
                .with_state_mut(|state| state.render_block(name))
                .map_err(fail(&text_name))
        };
        let subject = one_line(&block(&mut captured, "subject")?);
        let text = block(&mut captured, "text")?.trim().to_owned() + "\n";
        let short = one_line(&block(&mut captured, "short")?);
        let html = self
            .env
            .get_template(&html_name)
            .and_then(|t| t.render(values))
            .map_err(fail(&html_name))?;
        Ok(Rendered {
            language,
            subject,
            text,
            html,
            short,
        })
    }
}

/// `s` on one line, whitespace runs collapsed (a subject or an SMS never wraps).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
