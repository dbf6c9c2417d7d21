//! TLS on rustls: certificates and keys from PEM, server and client configurations (cached
//! per certificate), and what a finished handshake tells scripts.
//!
//! The `acceptTLS`/`connectTLS` filters (`filters/tls/`) drive rustls' sans-I/O connection
//! objects with pipeline events, so TLS works over any stream, not only sockets.

mod verify;

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
    /// Check that the certificate is for the server name (off when no `sni` was given: the
    /// chain is still checked).
    pub check_name: bool,
}

thread_local! {
    static SERVER_CONFIGS: RefCell<HashMap<ServerSpec, Arc<ServerConfig>>> = RefCell::new(HashMap::new());
    static CLIENT_CONFIGS: RefCell<HashMap<ClientSpec, Arc<ClientConfig>>> = RefCell::new(HashMap::new());
}

fn roots(trusted: &[String]) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    for pem in trusted {
        for c in certs_from_pem(pem)? {
            let v1 = x509_parser::parse_x509_certificate(&c)
                .is_ok_and(|(_, p)| p.version() == x509_parser::x509::X509Version::V1);
            match store.add(c) {
                Ok(()) => {}
                // WebPKI does not read v1 certificates; the client verifier checks them.
                Err(_) if v1 => {}
                Err(e) => return Err(format!("cannot trust that certificate: {e}")),
            }
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
    let mut config = builder.with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(
        certified_key(certs, key).map_err(|e| format!("certificate and key {e}"))?,
    )));
    config.alpn_protocols = spec.alpn.iter().map(|a| a.as_bytes().to_vec()).collect();
    let config = Arc::new(config);
    SERVER_CONFIGS.with(|m| m.borrow_mut().insert(spec.clone(), config.clone()));
    Ok(config)
}

/// A server configuration and the ALPN order a client asked for.
type OrderKey = (usize, Vec<Vec<u8>>);

thread_local! {
    static CLIENT_ORDERED: RefCell<HashMap<OrderKey, Arc<ServerConfig>>> =
        RefCell::new(HashMap::new());
}

/// `config` with its ALPN protocols in the order the client prefers, as Pipy picks them:
/// the client's first choice that the server offers wins. (rustls picks by the server's
/// order.) Cached per configuration and client list.
pub fn in_client_order(config: Arc<ServerConfig>, offered: Vec<Vec<u8>>) -> Arc<ServerConfig> {
    if config.alpn_protocols.len() < 2 || offered.is_empty() {
        return config;
    }
    let ordered: Vec<Vec<u8>> = offered
        .iter()
        .filter(|p| config.alpn_protocols.contains(p))
        .cloned()
        .collect();
    if ordered.is_empty() || ordered == config.alpn_protocols {
        return config;
    }
    let key = (Arc::as_ptr(&config) as usize, ordered);
    CLIENT_ORDERED.with(|m| {
        m.borrow_mut()
            .entry(key.clone())
            .or_insert_with(|| {
                let mut c = (*config).clone();
                c.alpn_protocols = key.1.clone();
                Arc::new(c)
            })
            .clone()
    })
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
        .map_err(|e| e.to_string())?;
    let builder = if spec.check_name {
        builder.with_root_certificates(store)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(verify::chain_only(
                store,
                trusted_ders(&spec.trusted)?,
                provider(),
            )?)
    };
    let mut config = with_identity(builder, spec)?;
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
        .with_custom_certificate_verifier(verify::any_server(provider()));
    let mut config = with_identity(builder, spec)?;
    config.alpn_protocols = spec.alpn.iter().map(|a| a.as_bytes().to_vec()).collect();
    Ok(Arc::new(config))
}

/// The certificates of `pems`, in DER.
fn trusted_ders(pems: &[String]) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut v = Vec::new();
    for p in pems {
        v.extend(certs_from_pem(p)?);
    }
    Ok(v)
}

/// Finishes a client configuration with the client certificate of `spec`, if any.
fn with_identity(
    builder: rustls::ConfigBuilder<ClientConfig, rustls::client::WantsClientCert>,
    spec: &ClientSpec,
) -> Result<ClientConfig, String> {
    Ok(match &spec.identity {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let ck = certified_key(certs_from_pem(cert)?, key_from_pem(key)?)
                .map_err(|e| format!("client certificate and key {e}"))?;
            builder.with_client_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(ck)))
        }
    })
}

/// A certificate chain with its signing key, checked to go together. X.509 v1 certificates
/// (which rustls' checker refuses to read, though TLS peers accept them) are taken as
/// they are: Pipy's own test certificates are v1.
fn certified_key(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<rustls::sign::CertifiedKey, String> {
    let signing = provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| format!("cannot be used: {e}"))?;
    let ck = rustls::sign::CertifiedKey::new(certs, signing);
    let v1 = ck
        .cert
        .first()
        .and_then(|c| x509_parser::parse_x509_certificate(c).ok())
        .is_some_and(|(_, c)| c.version() == x509_parser::x509::X509Version::V1);
    if !v1 {
        ck.keys_match()
            .map_err(|e| format!("do not go together: {e}"))?;
    }
    Ok(ck)
}

/// A fresh self-signed certificate for `names` and its key, as PEM (for tests and tutorials).
pub fn self_signed(names: Vec<String>) -> Result<(String, String), String> {
    let c = rcgen::generate_simple_self_signed(names).map_err(|e| e.to_string())?;
    Ok((c.cert.pem(), c.key_pair.serialize_pem()))
}
