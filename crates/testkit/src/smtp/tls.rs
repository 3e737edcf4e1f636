//! A throwaway certificate authority and a server certificate for `127.0.0.1` and `localhost`,
//! made with the `openssl` command line (present wherever Python's `ssl` module is), so a test
//! SMTP server can offer STARTTLS or implicit TLS and a client can trust it through an extra root.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

/// The files of a test TLS identity.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The CA certificate (PEM) a client must trust.
    pub ca: PathBuf,
    /// The server certificate (PEM), signed by the CA.
    pub cert: PathBuf,
    /// The server's private key (PEM).
    pub key: PathBuf,
}

/// Creates a CA and a server certificate (P-256, valid two days) under `dir`.
pub fn make(dir: &Path) -> anyhow::Result<TlsFiles> {
    let path = |name: &str| dir.join(name);
    let files = TlsFiles {
        ca: path("ca.pem"),
        cert: path("server.pem"),
        key: path("server.key"),
    };
    std::fs::write(
        path("server.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n\
         subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )?;
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    openssl(
        dir,
        &[
            &["req", "-x509"],
            &ec[..],
            &["-keyout", "ca.key", "-out", "ca.pem"],
            &["-days", "2", "-subj", "/CN=penny test CA"],
        ],
    )?;
    openssl(
        dir,
        &[
            &["req"],
            &ec[..],
            &["-keyout", "server.key", "-out", "server.csr"],
            &["-subj", "/CN=127.0.0.1"],
        ],
    )?;
    openssl(
        dir,
        &[
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
            ],
            &[
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "server.ext",
            ],
        ],
    )?;
    Ok(files)
}

fn openssl(dir: &Path, args: &[&[&str]]) -> anyhow::Result<()> {
    let args: Vec<&str> = args.concat();
    let out = Command::new("openssl")
        .args(&args)
        .current_dir(dir)
        .output()
        .context("running openssl (needed for a STARTTLS test server)")?;
    anyhow::ensure!(
        out.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}
