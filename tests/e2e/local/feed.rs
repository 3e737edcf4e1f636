//! [`AlertFeed`]: what the local SMTP server, SMS API and push endpoint received since the last
//! look, as one line each, so `just up` shows alerts as they arrive.

use super::LocalStack;

/// How many of each were already shown.
#[derive(Debug, Default)]
pub struct AlertFeed {
    mails: usize,
    texts: usize,
    pushes: usize,
}

impl AlertFeed {
    /// One line per alert received since the previous call.
    pub fn new_lines(&mut self, stack: &LocalStack) -> Vec<String> {
        let mut lines = Vec::new();
        let mails = stack.smtp.messages().unwrap_or_default();
        for mail in mails.iter().skip(self.mails) {
            lines.push(format!(
                "email to {}: {}",
                mail.recipient().unwrap_or("?"),
                mail.subject()
            ));
        }
        self.mails = self.mails.max(mails.len());
        let texts = stack.sms.accepted();
        for (to, body) in texts.iter().skip(self.texts) {
            lines.push(format!("SMS to {to}: {body}"));
        }
        self.texts = self.texts.max(texts.len());
        let pushes = stack.push.accepted();
        for push in pushes.iter().skip(self.pushes) {
            let json = push.json();
            lines.push(format!(
                "push {}: {}",
                push.header("webhook-id").unwrap_or("?"),
                json["title"]
                    .as_str()
                    .or(json["kind"].as_str())
                    .unwrap_or("")
            ));
        }
        self.pushes = self.pushes.max(pushes.len());
        lines
    }
}
