//! HTTP plumbing for the engine's own HTTP services, the admin API (`admin/`) and the repo API
//! (`repo/`): bodies, JSON and error replies, server-sent events, CORS, percent-decoding.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::{Request, Response, StatusCode};

/// Largest request body the admin API takes.
pub const MAX_BODY: usize = 8 << 20;

/// The response body type: a whole buffer, or a stream of chunks.
pub enum AdminBody {
    /// All at once.
    Full(Full<Bytes>),
    /// Chunks from a channel (server-sent events).
    Stream(tokio::sync::mpsc::Receiver<Bytes>),
}

impl Body for AdminBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            AdminBody::Full(f) => Pin::new(f).poll_frame(cx),
            AdminBody::Stream(rx) => rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match self {
            AdminBody::Full(f) => f.size_hint(),
            AdminBody::Stream(_) => hyper::body::SizeHint::default(),
        }
    }
}

/// A response.
pub type Res = Response<AdminBody>;

/// A response with a status, content type and body.
pub fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Res {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("server", "sluice")
        .body(AdminBody::Full(Full::new(body.into())))
        .expect("valid response")
}

/// A JSON response.
pub fn json(status: StatusCode, v: &serde_json::Value) -> Res {
    reply(status, "application/json", v.to_string())
}

/// An error response: `{"error": message}`.
pub fn error(status: StatusCode, message: impl Into<String>) -> Res {
    json(status, &serde_json::json!({ "error": message.into() }))
}

/// An empty response.
pub fn empty(status: StatusCode) -> Res {
    reply(status, "text/plain", Bytes::new())
}

/// Reads a request body up to [`MAX_BODY`]; `Err` is the response to send instead.
pub async fn read_body(req: Request<Incoming>) -> Result<Bytes, Res> {
    if let Some(len) = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if len > MAX_BODY {
            return Err(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body is over the 8 MiB limit",
            ));
        }
    }
    let limited = http_body_util::Limited::new(req.into_body(), MAX_BODY);
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(_) => Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body is over the 8 MiB limit",
        )),
    }
}

/// Reads a JSON body (an empty body is `{}`).
pub async fn read_json(req: Request<Incoming>) -> Result<serde_json::Value, Res> {
    let b = read_body(req).await?;
    if b.iter().all(|c| c.is_ascii_whitespace()) {
        return Ok(serde_json::json!({}));
    }
    serde_json::from_slice(&b)
        .map_err(|e| error(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")))
}

/// A streaming `text/event-stream` response fed by `rx`.
pub fn event_stream(rx: tokio::sync::mpsc::Receiver<Bytes>) -> Res {
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .header("server", "sluice")
        .body(AdminBody::Stream(rx))
        .expect("valid response")
}

/// Content type by file extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "wasm" => "application/wasm",
        "md" => "text/markdown; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

/// Origins of the desktop app's IDE page (Tauri serves it as `tauri://localhost`, or
/// `http(s)://tauri.localhost` on Windows). It calls the admin API across origins.
const APP_ORIGINS: [&str; 3] = [
    "tauri://localhost",
    "http://tauri.localhost",
    "https://tauri.localhost",
];

/// The request's `Origin` when it is the desktop app's page; other origins get no CORS headers.
pub fn app_origin<B>(req: &Request<B>) -> Option<hyper::header::HeaderValue> {
    let origin = req.headers().get("origin")?;
    APP_ORIGINS
        .iter()
        .any(|o| origin.as_bytes() == o.as_bytes())
        .then(|| origin.clone())
}

/// The answer to a CORS preflight from the desktop app's page.
pub fn preflight(origin: hyper::header::HeaderValue) -> Res {
    let mut res = empty(StatusCode::NO_CONTENT);
    let h = res.headers_mut();
    h.insert(
        "access-control-allow-methods",
        "GET, HEAD, POST, PUT, PATCH, DELETE"
            .parse()
            .expect("valid header"),
    );
    h.insert(
        "access-control-allow-headers",
        "authorization, content-type, accept"
            .parse()
            .expect("valid header"),
    );
    h.insert(
        "access-control-max-age",
        "600".parse().expect("valid header"),
    );
    allow_origin(&mut res, origin);
    res
}

/// Lets the desktop app's page read `res`.
pub fn allow_origin(res: &mut Res, origin: hyper::header::HeaderValue) {
    let h = res.headers_mut();
    h.insert("access-control-allow-origin", origin);
    h.insert(
        "access-control-expose-headers",
        "x-reload, x-sluice-trace".parse().expect("valid header"),
    );
    h.append("vary", "origin".parse().expect("valid header"));
}

/// The strings of a JSON array (other items are skipped); `None` when `v` is not an array.
pub fn strings(v: Option<&serde_json::Value>) -> Option<Vec<String>> {
    v.and_then(|v| v.as_array()).map(|a| {
        a.iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect()
    })
}

/// Decodes `%XX` escapes in a path segment or query value (invalid UTF-8 is replaced).
pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The default codebase folder of the admin API and the repo's cache:
/// `$XDG_DATA_HOME/sluice/codebases` or `~/.local/share/sluice/codebases`.
pub fn default_codebases_dir() -> std::path::PathBuf {
    use std::path::PathBuf;
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("sluice/codebases")
}
