//! [`SmsApi`]: an SMS provider API in the common shape.

use std::sync::Arc;

use axum::http::Method;
use base64::Engine as _;

use super::{Answer, Check, HttpReceiver, Reply};

/// An SMS provider API in the common shape: `POST /Accounts/{sid}/Messages.json` with basic
/// auth `sid:token` and a form body; answers `201 {"sid": "SM<n>", ...}` (401 for bad
/// credentials, 404 for another path).
#[derive(Debug)]
pub struct SmsApi {
    /// The receiver underneath.
    pub http: HttpReceiver,
}

impl SmsApi {
    /// An API for account `sid` with auth token `token`.
    pub async fn start(sid: &str, token: &str) -> anyhow::Result<Self> {
        let expected_path = format!("/Accounts/{sid}/Messages.json");
        let expected_auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{sid}:{token}"))
        );
        let check: Check = Arc::new(move |method, path, headers, _| {
            if method != Method::POST || path != expected_path {
                return Err(Reply::new(
                    404,
                    r#"{"code": 20404, "message": "not found"}"#,
                ));
            }
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
            if auth != Some(expected_auth.as_str()) {
                return Err(Reply::new(
                    401,
                    r#"{"code": 20003, "message": "authenticate"}"#,
                ));
            }
            Ok(())
        });
        let answer: Answer = Arc::new(|index, _| {
            Reply::new(
                201,
                format!(r#"{{"sid": "SM{index:032}", "status": "queued"}}"#),
            )
        });
        let http = HttpReceiver::with(check, answer).await?;
        Ok(Self { http })
    }

    /// The base URL to configure (`{base}/Accounts/{sid}/Messages.json` is appended).
    pub fn base_url(&self) -> String {
        self.http.url()
    }

    /// The texts accepted, in order: (To, Body).
    pub fn accepted(&self) -> Vec<(String, String)> {
        self.http
            .requests()
            .into_iter()
            .filter(|r| r.verified == Some(true) && (200..300).contains(&r.status))
            .map(|r| {
                let form = r.form();
                let get = |k: &str| {
                    form.iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                (get("To"), get("Body"))
            })
            .collect()
    }
}

/// Parses `a=b&c=d` (with `+` and `%XX`).
pub(crate) fn form_urlencoded(body: &[u8]) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%'
                && let Some(b) = std::str::from_utf8(bytes.get(i + 1..i + 3).unwrap_or_default())
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reply as ScriptedReply;

    #[tokio::test]
    async fn checks_path_and_credentials_and_follows_the_script() -> anyhow::Result<()> {
        let sms = SmsApi::start("AC1", "tok").await?;
        sms.http
            .script([ScriptedReply::new(429, "{}").header("Retry-After", "1")]);
        let http = reqwest::Client::new();
        let url = format!("{}/Accounts/AC1/Messages.json", sms.base_url());
        let send = |user: &'static str, url: String| {
            http.post(url)
                .basic_auth(user, Some("tok"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("To=%2B14155550123&From=%2B15005550006&Body=hi")
                .send()
        };
        let limited = send("AC1", url.clone()).await?;
        assert_eq!(limited.status(), 429);
        assert_eq!(limited.headers()["retry-after"], "1");
        assert_eq!(send("AC1", url.clone()).await?.status(), 201);
        assert_eq!(send("AC2", url.clone()).await?.status(), 401);
        assert_eq!(
            send("AC1", format!("{}/x", sms.base_url())).await?.status(),
            404
        );
        assert_eq!(
            sms.accepted(),
            [("+14155550123".to_owned(), "hi".to_owned())]
        );
        Ok(())
    }

    #[test]
    fn forms_decode() {
        assert_eq!(
            form_urlencoded(b"To=%2B14155550123&Body=hi+there%E2%80%A2"),
            [
                ("To".to_owned(), "+14155550123".to_owned()),
                ("Body".to_owned(), "hi there•".to_owned())
            ]
        );
    }
}
