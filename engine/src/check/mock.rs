//! Mock upstreams: HTTP/1.1 servers a check declares, which answer every request with a canned
//! response and record what they received, so a step can assert on what a proxy forwarded.
//!
//! `"mocks": [{"name": "a", "port": 8080, "status"?: 200, "headers"?: {}, "body"?: ""}]`.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};
use tokio::task::JoinHandle;

use super::expect::Received;

/// The most of a forwarded body a mock keeps.
const BODY_LIMIT: usize = 1 << 20;

/// What a mock answers with.
#[derive(Clone)]
struct Canned {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// One running mock; it stops when dropped.
struct Mock {
    name: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The mocks of one check, running until dropped.
#[derive(Default)]
pub struct Mocks {
    list: Vec<Mock>,
}

impl Mocks {
    /// Starts every mock `spec` (the check's `"mocks"`) declares, each on `127.0.0.1:port`.
    pub async fn start(spec: Option<&Value>) -> Result<Mocks, String> {
        let mut mocks = Mocks::default();
        let Some(spec) = spec else {
            return Ok(mocks);
        };
        let list = spec
            .as_array()
            .ok_or("\"mocks\" must be a list: [{\"name\", \"port\", ...}]")?;
        for (i, m) in list.iter().enumerate() {
            let name = super::name_or(m, || format!("mock{}", i + 1));
            let port = m
                .get("port")
                .and_then(Value::as_u64)
                .and_then(|p| u16::try_from(p).ok())
                .ok_or_else(|| format!("mock {name} needs a \"port\" number"))?;
            let canned = Canned {
                status: m
                    .get("status")
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(200),
                headers: m
                    .get("headers")
                    .and_then(Value::as_object)
                    .map(|h| h.iter().map(|(k, v)| (k.clone(), text(v))).collect())
                    .unwrap_or_default(),
                body: m.get("body").map(text).unwrap_or_default(),
            };
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                .await
                .map_err(|e| format!("cannot start mock {name} on port {port}: {e}"))?;
            let received = Arc::new(Mutex::new(Vec::new()));
            let task = tokio::spawn(serve(listener, canned, received.clone()));
            mocks.list.push(Mock {
                name,
                received,
                task,
            });
        }
        Ok(mocks)
    }

    /// Stops every mock and waits until their ports are free again, so the next test file can
    /// declare mocks on the same ports at once.
    pub async fn stop(mut self) {
        for mut m in std::mem::take(&mut self.list) {
            m.task.abort();
            let _ = (&mut m.task).await;
        }
    }

    /// Whether no mocks were declared.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Forgets what every mock received so far.
    pub fn clear(&self) {
        for m in &self.list {
            lock(&m.received).clear();
        }
    }

    /// What each mock received since the last [`Mocks::clear`], by name.
    pub fn received(&self) -> BTreeMap<String, Vec<Received>> {
        self.list
            .iter()
            .map(|m| (m.name.clone(), lock(&m.received).clone()))
            .collect()
    }
}

/// The requests, as a step's result shows them.
pub fn to_json(received: &BTreeMap<String, Vec<Received>>) -> Value {
    let map: Map<String, Value> = received
        .iter()
        .map(|(name, list)| {
            let reqs = list
                .iter()
                .map(|r| json!({"method": r.method, "path": r.path, "headers": r.headers, "body": r.body}))
                .collect();
            (name.clone(), Value::Array(reqs))
        })
        .collect();
    Value::Object(map)
}

fn text(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

fn lock(m: &Mutex<Vec<Received>>) -> std::sync::MutexGuard<'_, Vec<Received>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn serve(
    listener: tokio::net::TcpListener,
    canned: Canned,
    received: Arc<Mutex<Vec<Received>>>,
) {
    let mut conns = tokio::task::JoinSet::new();
    while let Ok((tcp, _)) = listener.accept().await {
        let (canned, received) = (canned.clone(), received.clone());
        let service = service_fn(move |req| answer(req, canned.clone(), received.clone()));
        conns.spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}

async fn answer(
    req: Request<Incoming>,
    canned: Canned,
    received: Arc<Mutex<Vec<Received>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (head, body) = req.into_parts();
    let body = Limited::new(body, BODY_LIMIT)
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    let mut headers = Map::new();
    for (k, v) in &head.headers {
        headers.insert(
            k.as_str().to_string(),
            Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()),
        );
    }
    lock(&received).push(Received {
        method: head.method.to_string(),
        path: head
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into()),
        headers,
        body,
    });
    let mut res = Response::builder().status(canned.status);
    for (k, v) in &canned.headers {
        res = res.header(k.as_str(), v.as_str());
    }
    Ok(res
        .body(Full::new(Bytes::from(canned.body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::from_static(b"bad mock answer")))))
}
