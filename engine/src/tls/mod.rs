//! TLS on rustls: certificates and keys from PEM, server and client configurations (cached
//! per certificate), and what a finished handshake tells scripts.
//!
//! The `acceptTLS`/`connectTLS` filters (`filters/tls.rs`) drive rustls' sans-I/O connection
//! objects with pipeline events, so TLS works over any stream, not only sockets.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// TLS versions a configuration allows.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct Versions {
    /// Allow TLS 1.2.
    pub tls12: bool,
    /// Allow TLS 1.3.
    pub tls13: bool,
}

impl Default for Versions {
    fn default() -> Self {
        Versions {
            tls12: true,
            tls13: true,
        }
    }
}

impl Versions {
    /// From `minVersion`/`maxVersion` names (`TLS1.2`, `TLS1.3`).
    pub fn from_names(min: Option<&str>, max: Option<&str>) -> Result<Versions, String> {
        let rank = |n: &str| match n {
            "TLS1" | "TLS1.0" | "TLS1.1" | "TLS1.2" => Ok(2),
            "TLS1.3" => Ok(3),
            other => Err(format!(
                "unknown TLS version {other} (use TLS1.2 or TLS1.3)"
            )),
        };
        let lo = min.map(rank).transpose()?.unwrap_or(2);
        let hi = max.map(rank).transpose()?.unwrap_or(3);
        if lo > hi {
            return Err("minVersion is above maxVersion".into());
        }
        Ok(Versions {
            tls12: lo <= 2 && hi >= 2,
            tls13: hi >= 3,
        })
    }

    fn list(&self) -> Vec<&'static rustls::SupportedProtocolVersion> {
        let mut v = Vec::new();
        if self.tls13 {
            v.push(&rustls::version::TLS13);
        }
        if self.tls12 {
            v.push(&rustls::version::TLS12);
        }
        v
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Certificates from PEM text.
pub fn certs_from_pem(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("invalid certificate PEM: {e}"))?;
    if certs.is_empty() {
        return Err("no certificate in the PEM text".into());
    }
    Ok(certs)
}

/// A private key from PEM text.
pub fn key_from_pem(pem: &str) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| format!("invalid private key PEM: {e}"))
}

/// What scripts see of a certificate.
#[derive(Clone, Debug, Default)]
pub struct CertInfo {
    /// Subject distinguished name, e.g. `CN=example.com`.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// DNS names and IP addresses it is for.
    pub subject_alt_names: Vec<String>,
}

/// Reads subject, issuer and alternative names from a DER certificate.
pub fn cert_info(der: &[u8]) -> Result<CertInfo, String> {
    let (_, c) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| format!("invalid certificate: {e}"))?;
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = c.subject_alternative_name() {
        for n in &ext.value.general_names {
            match n {
                x509_parser::extensions::GeneralName::DNSName(d) => sans.push(d.to_string()),
                x509_parser::extensions::GeneralName::IPAddress(ip) => {
                    let s = match ip.len() {
                        4 => std::net::IpAddr::from(<[u8; 4]>::try_from(*ip).unwrap_or_default())
                            .to_string(),
                        16 => std::net::IpAddr::from(<[u8; 16]>::try_from(*ip).unwrap_or_default())
                            .to_string(),
                        _ => continue,
                    };
                    sans.push(s);
                }
                _ => {}
            }
        }
    }
    Ok(CertInfo {
        subject: c.subject().to_string(),
        issuer: c.issuer().to_string(),
        subject_alt_names: sans,
    })
}

/// Everything a server configuration is made from.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct ServerSpec {
    /// Certificate chain PEM.
    pub cert: String,
    /// Private key PEM.
    pub key: String,
    /// PEM of CAs trusted for client certificates; empty = no client authentication.
    pub trusted: Vec<String>,
    /// ALPN protocols offered, in preference order.
    pub alpn: Vec<String>,
    /// Allowed versions.
    pub versions: Versions,
}

/// Everything a client configuration is made from.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct ClientSpec {
    /// PEM of trusted CAs; empty = the system's roots.
    pub trusted: Vec<String>,
    /// Client certificate and key PEM, for mutual TLS.
    pub identity: Option<(String, String)>,
    /// ALPN protocols asked for.
    pub alpn: Vec<String>,
    /// Allowed versions.
    pub versions: Versions,
}

thread_local! {
    static SERVER_CONFIGS: RefCell<HashMap<ServerSpec, Arc<ServerConfig>>> = RefCell::new(HashMap::new());
    static CLIENT_CONFIGS: RefCell<HashMap<ClientSpec, Arc<ClientConfig>>> = RefCell::new(HashMap::new());
}

fn roots(trusted: &[String]) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    for pem in trusted {
        for c in certs_from_pem(pem)? {
            store
                .add(c)
                .map_err(|e| format!("cannot trust that certificate: {e}"))?;
        }
    }
    Ok(store)
}

/// The server configuration for `spec` (built once per worker).
pub fn server_config(spec: &ServerSpec) -> Result<Arc<ServerConfig>, String> {
    if let Some(c) = SERVER_CONFIGS.with(|m| m.borrow().get(spec).cloned()) {
        return Ok(c);
    }
    let certs = certs_from_pem(&spec.cert)?;
    let key = key_from_pem(&spec.key)?;
    let builder = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&spec.versions.list())
        .map_err(|e| e.to_string())?;
    let builder = if spec.trusted.is_empty() {
        builder.with_no_client_auth()
    } else {
        let v = WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots(&spec.trusted)?),
            provider(),
        )
        .build()
        .map_err(|e| format!("cannot check client certificates: {e}"))?;
        builder.with_client_cert_verifier(v)
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| format!("certificate and key do not go together: {e}"))?;
    config.alpn_protocols = spec.alpn.iter().map(|a| a.as_bytes().to_vec()).collect();
    let config = Arc::new(config);
    SERVER_CONFIGS.with(|m| m.borrow_mut().insert(spec.clone(), config.clone()));
    Ok(config)
}

/// The client configuration for `spec` (built once per worker).
pub fn client_config(spec: &ClientSpec) -> Result<Arc<ClientConfig>, String> {
    if let Some(c) = CLIENT_CONFIGS.with(|m| m.borrow().get(spec).cloned()) {
        return Ok(c);
    }
    let store = if spec.trusted.is_empty() {
        let mut store = RootCertStore::empty();
        for c in rustls_native_certs::load_native_certs().certs {
            let _ = store.add(c);
        }
        store
    } else {
        roots(&spec.trusted)?
    };
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&spec.versions.list())
        .map_err(|e| e.to_string())?
        .with_root_certificates(store);
    let mut config = match &spec.identity {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => builder
            .with_client_auth_cert(certs_from_pem(cert)?, key_from_pem(key)?)
            .map_err(|e| format!("client certificate and key do not go together: {e}"))?,
    };
    config.alpn_protocols = spec.alpn.iter().map(|a| a.as_bytes().to_vec()).collect();
    let config = Arc::new(config);
    CLIENT_CONFIGS.with(|m| m.borrow_mut().insert(spec.clone(), config.clone()));
    Ok(config)
}

/// A client configuration that does not check the server's certificate (`{verify: false}`).
pub fn insecure_client_config(spec: &ClientSpec) -> Result<Arc<ClientConfig>, String> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&spec.versions.list())
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyServer(provider())));
    let mut config = match &spec.identity {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => builder
            .with_client_auth_cert(certs_from_pem(cert)?, key_from_pem(key)?)
            .map_err(|e| format!("client certificate and key do not go together: {e}"))?,
    };
    config.alpn_protocols = spec.alpn.iter().map(|a| a.as_bytes().to_vec()).collect();
    Ok(Arc::new(config))
}

/// Accepts any server certificate (signatures are still checked).
#[derive(Debug)]
struct AnyServer(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
