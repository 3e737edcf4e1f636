//! [`ReceivedMail`]: one message as the test SMTP server stored it, with just enough MIME to
//! assert on: unfolded headers, RFC 2047 subjects, and the text and HTML parts decoded from
//! quoted-printable or base64.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use base64::Engine as _;

/// A stored message.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    /// Its file.
    pub file: PathBuf,
    /// The raw message.
    pub raw: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl ReceivedMail {
    /// Reads the message in `path`.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let raw =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let (headers, body) = split(&raw);
        Ok(Self {
            file: path.to_owned(),
            raw: raw.clone(),
            headers,
            body,
        })
    }

    /// The first value of header `name` (unfolded), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `Message-ID`.
    pub fn message_id(&self) -> Option<&str> {
        self.header("Message-ID")
    }

    /// The envelope recipient (aiosmtpd's `X-RcptTo`).
    pub fn recipient(&self) -> Option<&str> {
        self.header("X-RcptTo")
    }

    /// The subject, RFC 2047 words decoded.
    pub fn subject(&self) -> String {
        decode_words(self.header("Subject").unwrap_or_default())
    }

    /// The decoded `text/plain` part (the body itself when not multipart).
    pub fn text(&self) -> Option<String> {
        self.part("text/plain")
    }

    /// The decoded `text/html` part.
    pub fn html(&self) -> Option<String> {
        self.part("text/html")
    }

    fn part(&self, wanted: &str) -> Option<String> {
        let content_type = self.header("Content-Type").unwrap_or("text/plain");
        if !content_type.to_ascii_lowercase().starts_with("multipart/") {
            return content_type
                .to_ascii_lowercase()
                .starts_with(wanted)
                .then(|| decode_body(self.header("Content-Transfer-Encoding"), &self.body));
        }
        let boundary = parameter(content_type, "boundary")?;
        let delimiter = format!("--{boundary}");
        self.body.split(&delimiter).skip(1).find_map(|chunk| {
            let chunk = chunk
                .strip_prefix("\r\n")
                .or_else(|| chunk.strip_prefix('\n'))?;
            let (headers, body) = split(chunk);
            let get = |n: &str| {
                headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(n))
                    .map(|(_, v)| v.as_str())
            };
            let kind = get("Content-Type")
                .unwrap_or("text/plain")
                .to_ascii_lowercase();
            kind.starts_with(wanted)
                .then(|| decode_body(get("Content-Transfer-Encoding"), &body))
        })
    }
}

/// Headers (unfolded) and body of a message or a MIME part.
fn split(raw: &str) -> (Vec<(String, String)>, String) {
    let normalized = raw.replace("\r\n", "\n");
    let (head, body) = normalized
        .split_once("\n\n")
        .unwrap_or((normalized.as_str(), ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    (headers, body.to_owned())
}

fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn decode_body(encoding: Option<&str>, body: &str) -> String {
    match encoding.map(str::to_ascii_lowercase).as_deref() {
        Some("base64") => {
            let compact: String = body.split_whitespace().collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .unwrap_or_default();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Some("quoted-printable") => quoted_printable(body),
        _ => body.to_owned(),
    }
}

/// Decodes quoted-printable text (soft line breaks removed).
fn quoted_printable(body: &str) -> String {
    let mut out = Vec::with_capacity(body.len());
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') => i += 3,
            b'=' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3).unwrap_or_default())
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`); whitespace between
/// two encoded words is dropped, as the RFC says.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut last_was_word = false;
    for token in value.split_whitespace() {
        let decoded = token
            .strip_prefix("=?")
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|t| {
                let mut parts = t.splitn(3, '?');
                let (_charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
                match encoding.to_ascii_lowercase().as_str() {
                    "b" => base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()
                        .map(|b| String::from_utf8_lossy(&b).into_owned()),
                    "q" => Some(quoted_printable(&text.replace('_', " "))),
                    _ => None,
                }
            });
        let is_word = decoded.is_some();
        let joins_words = is_word && last_was_word;
        if !out.is_empty() && !joins_words {
            out.push(' ');
        }
        out.push_str(decoded.as_deref().unwrap_or(token));
        last_was_word = is_word;
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_words_parts_and_encodings() {
        assert_eq!(
            decode_words("=?utf-8?b?4oCi4oCi?= =?utf-8?q?0000_ok?="),
            "••0000 ok"
        );
        assert_eq!(decode_words("plain subject"), "plain subject");
        assert_eq!(decode_words("Your =?utf-8?b?4oCi?= card"), "Your • card");
        assert_eq!(quoted_printable("a=E2=80=A2b=\nc"), "a•bc");
        let raw = "Subject: x\nContent-Type: multipart/alternative;\n boundary=\"B\"\n\n--B\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nhi =E2=80=A2\n--B\nContent-Type: text/html\nContent-Transfer-Encoding: base64\n\nPHA+aGk8L3A+\n--B--\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m");
        std::fs::write(&path, raw).unwrap();
        let mail = ReceivedMail::read(&path).unwrap();
        assert_eq!(mail.text().unwrap().trim(), "hi •");
        assert_eq!(mail.html().unwrap(), "<p>hi</p>");
    }
}
