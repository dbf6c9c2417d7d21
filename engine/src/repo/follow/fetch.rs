//! Talking to the repo from a worker: its URL, connections (TCP or TLS), and requests.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// How long one request to the repo may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A byte stream to the repo.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Where a worker's codebase is: `http[s]://host[:port]/path`.
#[derive(Clone, Debug)]
pub struct RepoUrl {
    /// The URL as given.
    pub href: String,
    /// `https`?
    pub tls: bool,
    /// Host name or address (no brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Path of the codebase (`/repo/NAME/`, or one script's path).
    pub path: String,
    /// The path up to its last `/`, which the manifest's file paths are under.
    pub base: String,
}

impl RepoUrl {
    /// Parses an `http://` or `https://` URL.
    pub fn parse(href: &str) -> Result<RepoUrl, String> {
        let (tls, rest) = if let Some(r) = href.strip_prefix("http://") {
            (false, r)
        } else if let Some(r) = href.strip_prefix("https://") {
            (true, r)
        } else {
            return Err(format!("{href} is not an http:// or https:// URL"));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if path.len() <= 1 {
            return Err(format!(
                "{href} names no codebase: give the codebase's URL, like http://HOST:6060/repo/NAME/"
            ));
        }
        let (host, port) = if let Some(r) = authority.strip_prefix('[') {
            let (h, p) = r
                .split_once(']')
                .ok_or_else(|| format!("bad address in {href}"))?;
            (h.to_string(), p.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (authority.to_string(), None),
            }
        };
        let port = match port {
            Some(p) => p.parse().map_err(|_| format!("bad port in {href}"))?,
            None if tls => 443,
            None => 80,
        };
        if host.is_empty() {
            return Err(format!("no host in {href}"));
        }
        let base = path[..path.rfind('/').unwrap_or(0)].to_string();
        Ok(RepoUrl {
            href: href.to_string(),
            tls,
            host,
            port,
            path: path.to_string(),
            base,
        })
    }

    /// Opens a byte stream to the repo (TLS for `https`).
    pub async fn open(
        &self,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> Result<Box<dyn Io>, String> {
        let tcp = tokio::time::timeout(
            REQUEST_TIMEOUT,
            TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| format!("{}:{} did not answer", self.host, self.port))?
        .map_err(|e| format!("cannot reach {}:{}: {e}", self.host, self.port))?;
        let _ = tcp.set_nodelay(true);
        if !self.tls {
            return Ok(Box::new(tcp));
        }
        let config = tls.ok_or("no TLS configuration")?.clone();
        let name = rustls::pki_types::ServerName::try_from(self.host.clone())
            .map_err(|_| format!("bad server name {}", self.host))?;
        let s = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {} failed: {e}", self.host))?;
        Ok(Box::new(s))
    }
}

/// A response: status, `etag`, body.
pub struct Answer {
    /// Status code.
    pub status: StatusCode,
    /// The `etag` header.
    pub etag: Option<String>,
    /// The whole body.
    pub body: Bytes,
}

/// An HTTP/1.1 connection to the repo, for a run of requests.
pub struct Conn {
    send: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    host: String,
}

impl Conn {
    /// Connects.
    pub async fn open(
        url: &RepoUrl,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> Result<Conn, String> {
        let io = url.open(tls).await?;
        let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| format!("cannot talk to the repo: {e}"))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let host = if url.host.contains(':') {
            format!("[{}]:{}", url.host, url.port)
        } else {
            format!("{}:{}", url.host, url.port)
        };
        Ok(Conn { send, host })
    }

    /// Sends one request and reads the whole answer.
    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<Answer, String> {
        let mut b = hyper::Request::builder()
            .method(method.clone())
            .uri(path)
            .header("host", &self.host)
            .header("user-agent", "sluice-worker")
            .header(
                crate::repo::rollout::INSTANCE_HEADER,
                crate::worker::instance().0,
            );
        if body.is_some() {
            b = b.header("content-type", "application/json");
        }
        let req = b
            .body(Full::new(body.unwrap_or_default()))
            .map_err(|e| e.to_string())?;
        let work = async {
            self.send
                .ready()
                .await
                .map_err(|e| format!("the repo closed the connection: {e}"))?;
            let res = self
                .send
                .send_request(req)
                .await
                .map_err(|e| format!("{method} {path} failed: {e}"))?;
            let status = res.status();
            let etag = res
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = res
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("{method} {path}: body cut short: {e}"))?
                .to_bytes();
            Ok(Answer { status, etag, body })
        };
        tokio::time::timeout(REQUEST_TIMEOUT, work)
            .await
            .map_err(|_| format!("{method} {path}: the repo did not answer in time"))?
    }
}

/// A downloaded codebase: version, entry script and files.
#[derive(Debug, Clone)]
pub struct Download {
    /// The manifest's `etag`.
    pub version: String,
    /// Entry script (the manifest's first line).
    pub main: String,
    /// Every file, by codebase path.
    pub files: Vec<(String, Bytes)>,
}

/// Whether a body is a manifest (a list of paths) rather than a script, as Pipy decides.
fn is_manifest(text: &[u8]) -> bool {
    text.len() > 2 && text[0] == b'/' && text[1] != b'/' && text[1] != b'*'
}

/// The file paths a manifest lists, entry script first; `None` when `body` is not a manifest
/// but a script.
pub fn manifest_paths(body: &[u8]) -> Option<Vec<String>> {
    if !is_manifest(body) {
        return None;
    }
    let text = String::from_utf8_lossy(body);
    let paths = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    Some(paths)
}

/// Downloads the codebase at `url`: the manifest and each file it lists (a missing file is
/// skipped, as Pipy does), or the one script the URL names.
pub async fn download(
    url: &RepoUrl,
    tls: Option<&Arc<rustls::ClientConfig>>,
) -> Result<Download, String> {
    let mut conn = Conn::open(url, tls).await?;
    let top = conn.request(Method::GET, &url.path, None).await?;
    if top.status != StatusCode::OK {
        return Err(format!("GET {} answered {}", url.href, top.status));
    }
    let version = top.etag.clone().unwrap_or_default();
    let Some(paths) = manifest_paths(&top.body) else {
        let name = url.path[url.base.len()..].to_string();
        return Ok(Download {
            version,
            main: name.clone(),
            files: vec![(name, top.body)],
        });
    };
    let main = paths.first().cloned().unwrap_or_default();
    let mut files = Vec::with_capacity(paths.len());
    for p in paths {
        let full = format!("{}{}", url.base, p);
        let a = conn.request(Method::GET, &full, None).await?;
        match a.status {
            StatusCode::OK => files.push((p, a.body)),
            StatusCode::NOT_FOUND => {
                tracing::warn!(target: "repo", "GET {full}: the repo has no such file; skipped")
            }
            s => return Err(format!("GET {full} answered {s}")),
        }
    }
    Ok(Download {
        version,
        main,
        files,
    })
}

/// The version the repo publishes now (`HEAD` of the codebase URL, its `etag`).
pub async fn head(
    url: &RepoUrl,
    tls: Option<&Arc<rustls::ClientConfig>>,
) -> Result<String, String> {
    let mut conn = Conn::open(url, tls).await?;
    let a = conn.request(Method::HEAD, &url.path, None).await?;
    if a.status != StatusCode::OK {
        return Err(format!("HEAD {} answered {}", url.href, a.status));
    }
    Ok(a.etag.unwrap_or_default())
}
