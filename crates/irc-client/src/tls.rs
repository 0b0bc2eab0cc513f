//! TLS with rustls (ring provider): verification, custom CA, certificate
//! pinning, client certificates, minimum version, SNI.
//!
//! [`TlsConfig`] holds the settings; the client turns them into a rustls
//! `ClientConfig` when it connects. The settings and their counterparts in
//! Sopel's `AsyncioBackend`:
//!
//! | setting | default | Sopel |
//! | --- | --- | --- |
//! | [`ClientBuilder::tls`](crate::ClientBuilder::tls) | off (plain TCP) | `use_ssl` |
//! | [`TlsConfig::verify`] | on | `verify_ssl` |
//! | [`TlsConfig::ca_file`] | Mozilla's roots (`webpki-roots`) | `ca_certs` |
//! | [`TlsConfig::client_cert`] | none | `certfile`, `keyfile` |
//! | [`TlsConfig::min_version`] | TLS 1.2 | `ssl_minimum_version` |
//! | [`TlsConfig::pin`] | none | (none) |
//! | [`TlsConfig::server_name`], [`TlsConfig::sni`] | the host, SNI on | (none) |
//! | [`ClientBuilder::source_address`](crate::ClientBuilder::source_address) | any | `source_address` |
//!
//! `ssl_ciphers` has no counterpart: rustls offers only modern AEAD suites
//! (TLS 1.3 AES-GCM and ChaCha20-Poly1305; TLS 1.2 ECDHE with the same) and
//! no way to enable legacy ones, so there is nothing to choose from. TLS 1.0
//! and 1.1 are not supported at all.
//!
//! **Pinning.** When pins are given, the server's end-entity certificate
//! (its DER bytes) must hash (SHA-256) to one of them, and nothing else is
//! checked: not the chain, not the name, not the dates. A pinned
//! self-signed or expired certificate is accepted; any other certificate is
//! refused. The handshake signatures are still verified, so the server must
//! hold the pinned certificate's key.
//!
//! ```
//! use irc_client::tls::TlsConfig;
//!
//! let tls = TlsConfig::new()
//!     .pin("AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89")
//!     .unwrap();
//! assert_eq!(tls.pins().len(), 1);
//! assert!(TlsConfig::new().pin("not hex").is_err());
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

/// The oldest TLS version the client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.2 and 1.3 (the default).
    #[default]
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

/// Something wrong with the TLS settings or the handshake.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A pin is not 64 hexadecimal digits (colons and spaces allowed).
    #[error("invalid certificate pin {0:?}: expected a SHA-256 fingerprint in hex")]
    InvalidPin(String),
    /// A certificate or key file could not be read or holds nothing usable.
    #[error("cannot load {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The host (or the configured server name) is not a valid TLS name.
    #[error("invalid TLS server name {0:?}")]
    ServerName(String),
    /// rustls refused the settings (an unusable client key, for example).
    #[error("TLS configuration: {0}")]
    Config(rustls::Error),
    /// The handshake failed (the certificate was refused, for example).
    #[error("TLS handshake with {addr} failed: {source}")]
    Handshake {
        /// The address as configured (`host:port`).
        addr: String,
        /// Why it failed.
        source: std::io::Error,
    },
}

impl TlsError {
    /// Whether the error comes from the settings (retrying cannot help),
    /// rather than from one handshake.
    #[must_use]
    pub const fn is_config(&self) -> bool {
        !matches!(self, Self::Handshake { .. })
    }
}

/// The TLS settings; see the [module docs](self) for the defaults.
#[derive(Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct TlsConfig {
    /// Verification turned off (`verify(false)`).
    insecure: bool,
    ca_file: Option<PathBuf>,
    pins: Vec<[u8; 32]>,
    client_cert: Option<(PathBuf, Option<PathBuf>)>,
    min_version: TlsVersion,
    server_name: Option<String>,
    no_sni: bool,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("verify", &self.verifies())
            .field("ca_file", &self.ca_file)
            .field(
                "pins",
                &self.pins.iter().map(|p| hex(p)).collect::<Vec<_>>(),
            )
            .field("client_cert", &self.client_cert)
            .field("min_version", &self.min_version)
            .field("server_name", &self.server_name)
            .field("sni", &!self.no_sni)
            .finish()
    }
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Parses a SHA-256 fingerprint: 64 hex digits, either case, with or
/// without colons (or spaces) between them.
///
/// # Errors
///
/// [`TlsError::InvalidPin`] for anything else.
pub fn parse_fingerprint(text: &str) -> Result<[u8; 32], TlsError> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b':' | b' ' | b'\t'))
        .collect();
    let bad = || TlsError::InvalidPin(text.to_owned());
    if digits.len() != 64 {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16).ok_or_else(bad)?;
        let lo = (pair[1] as char).to_digit(16).ok_or_else(bad)?;
        out[i] = u8::try_from(hi * 16 + lo).map_err(|_| bad())?;
    }
    Ok(out)
}

/// The SHA-256 fingerprint of a DER certificate, as pins compare it.
#[must_use]
pub fn fingerprint(der: &[u8]) -> [u8; 32] {
    Sha256::digest(der).into()
}

impl TlsConfig {
    /// Verification on, Mozilla's roots, TLS 1.2 or later, SNI on.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the server's certificate is verified (on by default). Off
    /// accepts any certificate (Sopel's `verify_ssl = false`): only for
    /// tests and servers you reach over a trusted path; prefer a pin.
    pub const fn verify(mut self, on: bool) -> Self {
        self.insecure = !on;
        self
    }

    /// Trusts the CA certificates of this PEM file instead of the built-in
    /// roots.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Accepts the server certificate whose SHA-256 fingerprint (of its
    /// DER bytes) is `fingerprint`, in hex, either case, colons optional.
    /// May be called several times; with pins, only pinned certificates are
    /// accepted.
    ///
    /// # Errors
    ///
    /// [`TlsError::InvalidPin`] when it is not such a fingerprint.
    pub fn pin(mut self, fingerprint: &str) -> Result<Self, TlsError> {
        self.pins.push(parse_fingerprint(fingerprint)?);
        Ok(self)
    }

    /// A client certificate chain (PEM) and its private key (PEM; `None`:
    /// the key is in the certificate file), for SASL `EXTERNAL` / CertFP.
    pub fn client_cert(mut self, cert: impl Into<PathBuf>, key: Option<PathBuf>) -> Self {
        self.client_cert = Some((cert.into(), key));
        self
    }

    /// The oldest TLS version accepted.
    pub const fn min_version(mut self, version: TlsVersion) -> Self {
        self.min_version = version;
        self
    }

    /// The name the certificate is checked against and sent as SNI,
    /// instead of the host connected to.
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// Whether to send SNI (on by default; never sent for IP addresses).
    pub const fn sni(mut self, on: bool) -> Self {
        self.no_sni = !on;
        self
    }

    /// Whether certificates are verified.
    #[must_use]
    pub const fn verifies(&self) -> bool {
        !self.insecure
    }

    /// The pins, as raw SHA-256 digests.
    #[must_use]
    pub fn pins(&self) -> &[[u8; 32]] {
        &self.pins
    }

    /// Whether a client certificate is configured.
    #[must_use]
    pub const fn has_client_cert(&self) -> bool {
        self.client_cert.is_some()
    }

    /// The rustls configuration and the name to connect as, for `host`.
    pub(crate) fn connector(
        &self,
        host: &str,
    ) -> Result<(tokio_rustls::TlsConnector, ServerName<'static>), TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: &[&'static rustls::SupportedProtocolVersion] = match self.min_version {
            TlsVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
            TlsVersion::Tls13 => &[&rustls::version::TLS13],
        };
        let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(versions)
            .map_err(TlsError::Config)?;
        let builder = if !self.pins.is_empty() {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptVerifier {
                    pins: Some(self.pins.clone()),
                    provider,
                }))
        } else if !self.verifies() {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptVerifier {
                    pins: None,
                    provider,
                }))
        } else {
            let mut roots = rustls::RootCertStore::empty();
            match &self.ca_file {
                Some(path) => {
                    let certs = load_certs(path)?;
                    let (added, _ignored) = roots.add_parsable_certificates(certs);
                    if added == 0 {
                        return Err(TlsError::File {
                            path: path.clone(),
                            reason: "no usable CA certificate".into(),
                        });
                    }
                }
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            builder.with_root_certificates(roots)
        };
        let mut config = match &self.client_cert {
            Some((cert, key)) => {
                let chain = load_certs(cert)?;
                let key_path = key.as_deref().unwrap_or(cert);
                let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| TlsError::File {
                    path: key_path.to_path_buf(),
                    reason: e.to_string(),
                })?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(TlsError::Config)?
            }
            None => builder.with_no_client_auth(),
        };
        config.enable_sni = !self.no_sni;
        let name = self.server_name.as_deref().unwrap_or(host);
        let server_name = ServerName::try_from(name.to_owned())
            .map_err(|_| TlsError::ServerName(name.to_owned()))?;
        Ok((
            tokio_rustls::TlsConnector::from(Arc::new(config)),
            server_name,
        ))
    }
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let file_error = |reason: String| TlsError::File {
        path: path.to_path_buf(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(e.to_string()))?;
    if certs.is_empty() {
        return Err(file_error("no certificate in the file".into()));
    }
    Ok(certs)
}

/// The verifier for pins (accept exactly the pinned certificates) and for
/// `verify(false)` (accept any). Handshake signatures are checked either way.
#[derive(Debug)]
struct AcceptVerifier {
    pins: Option<Vec<[u8; 32]>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.pins {
            None => Ok(ServerCertVerified::assertion()),
            Some(pins) => {
                let got = fingerprint(end_entity.as_ref());
                if pins.contains(&got) {
                    Ok(ServerCertVerified::assertion())
                } else {
                    tracing::warn!(fingerprint = %hex(&got), "server certificate matches no pin");
                    Err(rustls::Error::General(format!(
                        "the server certificate (SHA-256 {}) matches no pin",
                        hex(&got)
                    )))
                }
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_in_every_spelling() {
        let lower = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let want = parse_fingerprint(lower).unwrap();
        assert_eq!(want[0], 0x00);
        assert_eq!(want[10], 0xaa);
        assert_eq!(want[31], 0xff);
        assert_eq!(parse_fingerprint(&lower.to_uppercase()).unwrap(), want);
        let colons: Vec<String> = lower
            .as_bytes()
            .chunks(2)
            .map(|c| String::from_utf8_lossy(c).to_uppercase())
            .collect();
        assert_eq!(parse_fingerprint(&colons.join(":")).unwrap(), want);
        for bad in [
            "",
            "00",
            &lower[1..],
            &format!("{lower}00"),
            &lower.replace('a', "g"),
        ] {
            assert!(
                matches!(parse_fingerprint(bad), Err(TlsError::InvalidPin(_))),
                "{bad}"
            );
        }
        // Non-ASCII does not panic.
        assert!(parse_fingerprint(&"é".repeat(32)).is_err());
    }

    #[test]
    fn defaults_verify_with_sni() {
        let c = TlsConfig::new();
        assert!(c.verifies());
        assert!(!c.clone().verify(false).verifies());
        assert!(c.pins().is_empty());
        assert!(!c.has_client_cert());
        assert!(c.connector("irc.example.com").is_ok());
        assert!(c.connector("127.0.0.1").is_ok());
        assert!(matches!(
            c.connector("bad name!"),
            Err(TlsError::ServerName(_))
        ));
        assert!(matches!(
            TlsConfig::new()
                .ca_file("/nonexistent/ca.pem")
                .connector("x"),
            Err(TlsError::File { .. })
        ));
    }
}
