//! Checking a TLS server's certificate the way `connectTLS` options ask.
//!
//! - With `trusted` CAs (or `verify: true`) and an `sni`: the full check, by rustls' WebPKI
//!   verifier.
//! - With CAs but no `sni`: the chain must lead to a trusted CA, but the certificate need
//!   not be for any particular name (there is none to compare with) — Pipy checks the same.
//! - Otherwise nothing is checked but the handshake signatures, as Pipy does by default.
//!
//! Signatures of a peer with an X.509 v1 certificate (which WebPKI refuses to read) are
//! checked with the certificate's raw public key.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

/// A verifier that accepts any server certificate (signatures are still checked).
pub(super) fn any_server(provider: Arc<CryptoProvider>) -> Arc<dyn ServerCertVerifier> {
    Arc::new(Signatures {
        provider,
        check: false,
        chain: None,
        trusted: Vec::new(),
    })
}

/// A verifier that checks the chain against `roots` (made of the `trusted` certificates) but
/// not the server name.
pub(super) fn chain_only(
    roots: RootCertStore,
    trusted: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, String> {
    // Roots WebPKI cannot take (X.509 v1) are left to `v1_trusted`: there may be none.
    let inner = if roots.is_empty() {
        None
    } else {
        Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| format!("cannot check server certificates: {e}"))?,
        )
    };
    Ok(Arc::new(Signatures {
        provider,
        chain: inner,
        check: true,
        trusted,
    }))
}

#[derive(Debug)]
struct Signatures {
    provider: Arc<CryptoProvider>,
    /// Check the server's certificate at all.
    check: bool,
    /// When set, the chain is checked by it (name mismatches aside).
    chain: Option<Arc<WebPkiServerVerifier>>,
    /// The trusted certificates, for what WebPKI cannot read (X.509 v1).
    trusted: Vec<CertificateDer<'static>>,
}

/// An X.509 v1 server certificate, which WebPKI cannot read: trusted when it is one of the
/// trusted certificates, or signed by one, and within its validity period.
fn v1_trusted(cert: &CertificateDer<'_>, trusted: &[CertificateDer<'static>]) -> bool {
    let Ok((_, c)) = x509_parser::parse_x509_certificate(cert) else {
        return false;
    };
    if c.version() != x509_parser::x509::X509Version::V1 || !c.validity().is_valid() {
        return false;
    }
    trusted.iter().any(|t| {
        t.as_ref() == cert.as_ref()
            || x509_parser::parse_x509_certificate(t).is_ok_and(|(_, issuer)| {
                issuer.subject() == c.issuer()
                    && c.verify_signature(Some(issuer.public_key())).is_ok()
            })
    })
}

/// The subject public key of a certificate WebPKI could not read (X.509 v1).
fn raw_key(cert: &CertificateDer<'_>) -> Option<SubjectPublicKeyInfoDer<'static>> {
    let (_, c) = x509_parser::parse_x509_certificate(cert).ok()?;
    Some(SubjectPublicKeyInfoDer::from(c.public_key().raw.to_vec()))
}

impl ServerCertVerifier for Signatures {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if !self.check {
            return Ok(ServerCertVerified::assertion());
        }
        let checked = match &self.chain {
            Some(chain) => {
                chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        };
        match checked {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            Err(_) if v1_trusted(end_entity, &self.trusted) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
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
    ) -> Result<HandshakeSignatureValid, Error> {
        let algs = &self.provider.signature_verification_algorithms;
        match rustls::crypto::verify_tls13_signature(message, cert, dss, algs) {
            Err(e) => match raw_key(cert) {
                Some(spki) => {
                    rustls::crypto::verify_tls13_signature_with_raw_key(message, &spki, dss, algs)
                }
                None => Err(e),
            },
            ok => ok,
        }
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
