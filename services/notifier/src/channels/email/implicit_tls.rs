//! Implicit TLS (port 465) on a socket the notifier opens itself, so that it can set
//! `TCP_NODELAY`: lettre's own implicit-TLS connect opens the socket and keeps Nagle's
//! algorithm, which holds each message's final `.` until the server acknowledges the body (up
//! to 40 ms per email, see `pool::connect_no_delay`). The server's certificate is checked as
//! lettre checks it for STARTTLS: against the public roots (`webpki-roots`) plus the configured
//! extra CA certificates, for the configured host name.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use lettre::transport::smtp::client::AsyncTokioStream;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::pool::{SmtpSettings, connect_no_delay};

/// A TLS session with the SMTP server over a socket with `TCP_NODELAY`, handed to lettre as
/// its transport.
pub struct ImplicitTls(TlsStream<TcpStream>);

impl std::fmt::Debug for ImplicitTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImplicitTls").finish_non_exhaustive()
    }
}

impl ImplicitTls {
    /// Connects to `s.host`:`s.port` with `TCP_NODELAY` and completes the TLS handshake within
    /// `s.timeout`, checking the server's certificate for `s.host` with `config` (built once by
    /// [`client_config`]).
    pub async fn connect(
        s: &SmtpSettings,
        config: Arc<rustls::ClientConfig>,
    ) -> Result<Self, String> {
        let tcp = connect_no_delay(s).await?;
        let name = ServerName::try_from(s.host.clone()).map_err(|_| {
            "connecting with the SMTP server: its host is not a TLS name".to_owned()
        })?;
        let handshake = TlsConnector::from(config).connect(name, tcp);
        match tokio::time::timeout(s.timeout, handshake).await {
            Ok(Ok(tls)) => Ok(Self(tls)),
            Ok(Err(_)) => Err("connecting with the SMTP server: TLS failed".to_owned()),
            Err(_) => Err("connecting with the SMTP server: TLS timed out".to_owned()),
        }
    }

    /// Whether the socket underneath sends small writes at once (`TCP_NODELAY`).
    pub fn nodelay(&self) -> io::Result<bool> {
        self.0.get_ref().0.nodelay()
    }
}

/// The client configuration for `s`: the public roots plus `s.extra_roots_pem`, no client
/// certificate. An error names what was wrong with the extra certificates.
pub fn client_config(s: &SmtpSettings) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = &s.extra_roots_pem {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert
                .map_err(|_| "reading the extra SMTP CA certificates: not valid PEM".to_owned())?;
            roots.add(cert).map_err(|_| {
                "reading the extra SMTP CA certificates: not a usable CA certificate".to_owned()
            })?;
            added += 1;
        }
        if added == 0 {
            return Err("reading the extra SMTP CA certificates: no certificate in it".to_owned());
        }
    }
    Ok(rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth())
}

impl AsyncRead for ImplicitTls {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use anyhow::Context as _;
    use penny_testkit::SmtpServer;
    use tokio::io::AsyncReadExt as _;

    use super::*;
    use crate::channels::email::Security;

    fn settings(port: u16, extra_roots_pem: Option<Vec<u8>>) -> SmtpSettings {
        SmtpSettings {
            host: "127.0.0.1".to_owned(),
            port,
            security: Security::Tls,
            credentials: None,
            hello_name: "penny.test".to_owned(),
            pool_size: 1,
            timeout: Duration::from_secs(10),
            extra_roots_pem,
        }
    }

    #[tokio::test]
    async fn a_trusted_server_greets_over_tls_on_a_socket_without_nagle() -> anyhow::Result<()> {
        penny_runtime::install_crypto_provider();
        let smtp = SmtpServer::start_with_implicit_tls().await?;
        let ca = std::fs::read(&smtp.tls().context("the server has a CA")?.ca)?;
        let s = settings(smtp.port(), Some(ca));
        let config = Arc::new(client_config(&s).map_err(anyhow::Error::msg)?);
        let mut tls = ImplicitTls::connect(&s, config)
            .await
            .map_err(anyhow::Error::msg)?;
        assert!(tls.nodelay()?, "TCP_NODELAY is set under TLS");
        let mut greeting = [0u8; 3];
        tls.read_exact(&mut greeting).await?;
        assert_eq!(&greeting, b"220", "SMTP's greeting, decrypted");
        Ok(())
    }

    #[tokio::test]
    async fn an_untrusted_server_is_refused() -> anyhow::Result<()> {
        penny_runtime::install_crypto_provider();
        let smtp = SmtpServer::start_with_implicit_tls().await?;
        let s = settings(smtp.port(), None);
        let config = Arc::new(client_config(&s).map_err(anyhow::Error::msg)?);
        let refused = ImplicitTls::connect(&s, config).await;
        assert_eq!(
            refused.err().as_deref(),
            Some("connecting with the SMTP server: TLS failed")
        );
        Ok(())
    }

    #[test]
    fn bad_extra_certificates_are_named() {
        penny_runtime::install_crypto_provider();
        let error = |pem: &[u8]| client_config(&settings(1, Some(pem.to_vec()))).err();
        assert_eq!(
            error(b"not a certificate").as_deref(),
            Some("reading the extra SMTP CA certificates: no certificate in it")
        );
        assert_eq!(
            error(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").as_deref(),
            Some("reading the extra SMTP CA certificates: not a usable CA certificate")
        );
        assert!(
            client_config(&settings(1, None)).is_ok(),
            "public roots only"
        );
    }
}
