//! The worker's end of the push link (see `repo::link`): a WebSocket to
//! `/repo/NAME/UUID` that the repo writes `reload` on. Kept open for the worker's life; when
//! it breaks, it is opened again with back-off, and every (re)connection triggers a check,
//! since a publish may have been missed meanwhile.
//!
//! The worker sends its log lines up the link, as Pipy's workers do: on each (re)connection
//! the ones it has not sent yet (the latest [`BACKLOG`] at most), then each as it is written.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

use super::fetch::{Io, RepoUrl};

/// Silence after which a link whose repo pings is taken for dead.
const SILENCE: Duration = Duration::from_secs(45);

/// Most log lines sent at once when a link opens.
pub const BACKLOG: usize = 200;

/// Keeps the link to the repo open, waking `wake` on every `reload` and reconnection.
pub async fn run(
    url: RepoUrl,
    tls: Option<Arc<rustls::ClientConfig>>,
    uuid: String,
    wake: Arc<Notify>,
) {
    let mut path = url.path.clone();
    if !path.ends_with('/') {
        path.push('/');
    }
    path.push_str(&uuid);
    let mut failures = 0u32;
    let mut sent = 0u64;
    loop {
        match open(&url, tls.as_ref(), &path).await {
            Ok(io) => {
                tracing::debug!(target: "repo", "push link to {} open", url.href);
                failures = 0;
                wake.notify_one();
                let why = serve(io, &wake, &mut sent).await;
                tracing::debug!(target: "repo", "push link to {} closed: {why}", url.href);
            }
            Err(e) => {
                if failures == 0 {
                    tracing::debug!(target: "repo", "push link to {}: {e}", url.href);
                }
                failures += 1;
            }
        }
        tokio::time::sleep(super::backoff(
            failures.max(1),
            Duration::from_millis(500),
            Duration::from_secs(10),
        ))
        .await;
    }
}

async fn open(
    url: &RepoUrl,
    tls: Option<&Arc<rustls::ClientConfig>>,
    path: &str,
) -> Result<Box<dyn Io>, String> {
    let mut io = url.open(tls).await?;
    let key: [u8; 16] = rand_key();
    let key = base64::engine::general_purpose::STANDARD.encode(key);
    let req = format!(
        "GET {path} HTTP/1.1\r\nhost: {}:{}\r\nupgrade: websocket\r\nconnection: upgrade\r\n\
         sec-websocket-key: {key}\r\nsec-websocket-version: 13\r\n\r\n",
        url.host, url.port
    );
    io.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(super::fetch::REQUEST_TIMEOUT, io.read(&mut b))
            .await
            .map_err(|_| "no answer to the link request".to_string())?
            .map_err(|e| e.to_string())?;
        if n == 0 || head.len() > 16384 {
            return Err("the repo closed the link".into());
        }
        head.push(b[0]);
    }
    let text = String::from_utf8_lossy(&head);
    if !text.starts_with("HTTP/1.1 101") {
        return Err(format!(
            "the repo refused the link: {}",
            text.lines().next().unwrap_or("")
        ));
    }
    Ok(io)
}

fn rand_key() -> [u8; 16] {
    let u = uuid::Uuid::new_v4();
    *u.as_bytes()
}

/// A log line as sent to the repo.
fn log_text(l: &crate::logging::LogLine) -> String {
    let level = match l.level {
        "error" => "ERR",
        "warn" => "WRN",
        "info" => "INF",
        _ => "DBG",
    };
    if l.topic.is_empty() || l.topic == "user" {
        format!("{} [{level}] {}", l.time, l.message)
    } else {
        format!("{} [{level}] [{}] {}", l.time, l.topic, l.message)
    }
}

/// A client's text frame (masked, as clients' must be; the mask is zero).
fn text_frame(text: &str) -> Vec<u8> {
    let n = text.len();
    let mut out = vec![0x81];
    if n < 126 {
        out.push(0x80 | n as u8);
    } else if n <= 0xffff {
        out.push(0x80 | 126);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(n as u64).to_be_bytes());
    }
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(text.as_bytes());
    out
}

/// Reads frames until the link breaks, and sends log lines meanwhile (`sent`: the sequence
/// number of the last line sent); returns why it broke.
async fn serve(io: Box<dyn Io>, wake: &Notify, sent: &mut u64) -> String {
    let mut logs = crate::logging::subscribe();
    let (mut rd, wr) = tokio::io::split(io);
    let wr = tokio::sync::Mutex::new(wr);
    let read = async {
        let mut pinged = false;
        loop {
            let frame = if pinged {
                match tokio::time::timeout(SILENCE, read_frame(&mut rd)).await {
                    Ok(f) => f,
                    Err(_) => return "the repo went silent".to_string(),
                }
            } else {
                read_frame(&mut rd).await
            };
            let (opcode, payload) = match frame {
                Ok(f) => f,
                Err(e) => return e,
            };
            match opcode {
                1 | 2 => {
                    let text = String::from_utf8_lossy(&payload);
                    if text.lines().next() == Some("reload") {
                        tracing::debug!(target: "repo", "the repo asks to reload");
                        wake.notify_one();
                    }
                }
                8 => return "the repo closed it".to_string(),
                9 => {
                    pinged = true;
                    // A pong, masked as clients must.
                    let pong = [0x8a, 0x80, 0, 0, 0, 0];
                    if wr.lock().await.write_all(&pong).await.is_err() {
                        return "cannot write".to_string();
                    }
                }
                _ => {}
            }
        }
    };
    let send = async {
        let backlog = crate::logging::history(*sent, usize::MAX);
        let skip = backlog.len().saturating_sub(BACKLOG);
        let mut text = String::new();
        for l in &backlog[skip..] {
            text.push_str(&log_text(l));
            text.push('\n');
            *sent = l.seq;
        }
        if !text.is_empty() && wr.lock().await.write_all(&text_frame(&text)).await.is_err() {
            return "cannot write".to_string();
        }
        loop {
            match logs.recv().await {
                Ok(l) if l.seq > *sent => {
                    *sent = l.seq;
                    let f = text_frame(&log_text(&l));
                    if wr.lock().await.write_all(&f).await.is_err() {
                        return "cannot write".to_string();
                    }
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => std::future::pending::<()>().await,
            }
        }
    };
    tokio::select! {
        why = read => why,
        why = send => why,
    }
}

/// Reads one WebSocket frame (unmasking it when masked): its opcode and payload.
pub(crate) async fn read_frame<R: AsyncRead + Unpin>(io: &mut R) -> Result<(u8, Vec<u8>), String> {
    let mut h = [0u8; 2];
    io.read_exact(&mut h).await.map_err(|e| e.to_string())?;
    let opcode = h[0] & 0x0f;
    let masked = h[1] & 0x80 != 0;
    let mut len = (h[1] & 0x7f) as u64;
    if len == 126 {
        let mut b = [0u8; 2];
        io.read_exact(&mut b).await.map_err(|e| e.to_string())?;
        len = u16::from_be_bytes(b) as u64;
    } else if len == 127 {
        let mut b = [0u8; 8];
        io.read_exact(&mut b).await.map_err(|e| e.to_string())?;
        len = u64::from_be_bytes(b);
    }
    if len > 1 << 20 {
        return Err("a frame over 1 MiB".into());
    }
    let mut mask = [0u8; 4];
    if masked {
        io.read_exact(&mut mask).await.map_err(|e| e.to_string())?;
    }
    let mut payload = vec![0u8; len as usize];
    io.read_exact(&mut payload)
        .await
        .map_err(|e| e.to_string())?;
    if masked {
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= mask[i % 4];
        }
    }
    Ok((opcode, payload))
}
