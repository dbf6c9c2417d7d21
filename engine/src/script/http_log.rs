//! `logging.*Logger.toHTTP(url)`: log lines batched and POSTed to an HTTP collector.
//!
//! Lines wait in a bounded queue per URL (oldest dropped past [`MAX_QUEUED`]); a task per URL
//! sends what is queued every second, one request per batch, `http://` only.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Lines kept waiting per collector at most.
pub const MAX_QUEUED: usize = 10_000;

#[derive(Default)]
struct Sink {
    lines: VecDeque<String>,
    dropped: usize,
}

thread_local! {
    static SINKS: RefCell<HashMap<String, Rc<RefCell<Sink>>>> = RefCell::new(HashMap::new());
}

/// Where a URL points.
struct Target {
    host: String,
    port: u16,
    path: String,
}

fn parse(url: &str) -> Result<Target, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("only http:// collectors are supported: {url}"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (
            h.to_string(),
            p.parse().map_err(|_| format!("bad port in {url}"))?,
        ),
        None => (authority.to_string(), 80),
    };
    Ok(Target {
        host,
        port,
        path: path.to_string(),
    })
}

/// Queues one line for `url`, starting its sender on first use.
pub fn write(url: &str, line: String) -> Result<(), String> {
    let target = parse(url)?;
    let sink = SINKS.with(|s| {
        let mut s = s.borrow_mut();
        if let Some(k) = s.get(url) {
            return (k.clone(), false);
        }
        let k = Rc::new(RefCell::new(Sink::default()));
        s.insert(url.to_string(), k.clone());
        (k, true)
    });
    let (sink, new) = sink;
    {
        let mut q = sink.borrow_mut();
        if q.lines.len() >= MAX_QUEUED {
            q.lines.pop_front();
            q.dropped += 1;
        }
        q.lines.push_back(line);
    }
    if new {
        tokio::task::spawn_local(send_loop(target, url.to_string(), sink));
    }
    Ok(())
}

async fn send_loop(t: Target, url: String, sink: Rc<RefCell<Sink>>) {
    let mut failing = false;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (batch, dropped) = {
            let mut q = sink.borrow_mut();
            (
                q.lines.drain(..).collect::<Vec<_>>(),
                std::mem::take(&mut q.dropped),
            )
        };
        if dropped > 0 {
            tracing::warn!(target: "logging", "{dropped} log line(s) for {url} dropped: the collector is too slow");
        }
        if batch.is_empty() {
            continue;
        }
        let mut body = batch.join("\n");
        body.push('\n');
        match post(&t, body.as_bytes()).await {
            Ok(status) if (200..300).contains(&status) => failing = false,
            Ok(status) if !failing => {
                failing = true;
                tracing::warn!(target: "logging", "log collector {url} answered {status}");
            }
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(target: "logging", "cannot send logs to {url}: {e}");
            }
            _ => {}
        }
    }
}

async fn post(t: &Target, body: &[u8]) -> std::io::Result<u16> {
    let connect = tokio::net::TcpStream::connect((t.host.as_str(), t.port));
    let mut s = tokio::time::timeout(Duration::from_secs(5), connect)
        .await
        .map_err(|_| std::io::ErrorKind::TimedOut)??;
    let head = format!(
        "POST {} HTTP/1.1\r\nhost: {}:{}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        t.path,
        t.host,
        t.port,
        body.len()
    );
    s.write_all(head.as_bytes()).await?;
    s.write_all(body).await?;
    let mut resp = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut resp))
        .await
        .map_err(|_| std::io::ErrorKind::TimedOut)??;
    let text = String::from_utf8_lossy(&resp);
    Ok(text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0))
}
