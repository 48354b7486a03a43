//! How `blog serve` holds its readers' connections, so that no reader can take the site down
//! by holding them: HTTP/1.1 through hyper, with
//! - a deadline for a request's headers, which is also how long a connection may sit idle
//!   between requests (hyper starts it when it waits for the next request), so a client that
//!   trickles half a request, or opens connections and sends nothing, is cut off;
//! - a cap on a request's headers (hyper answers 431 past it), so no request can make the
//!   site hold more than that of one;
//! - a deadline for each write of a response: a reader who stops reading (and so leaves a
//!   response's bytes pending for that long) loses the connection, so it cannot hold a slot,
//!   or a large file's download, for ever;
//! - a cap on open connections: past it, new ones wait in the kernel's queue until one closes,
//!   rather than taking the process's file descriptors.
//!
//! Nothing bounds how long a whole response takes: a slow reader of a large file that keeps
//! receiving keeps its connection.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_io_timeout::TimeoutStream;

/// What a connection may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a request's headers may take to arrive, and a connection may sit idle.
    pub header_timeout: Duration,
    /// How long a response's write may wait for the reader to take bytes.
    pub write_timeout: Duration,
    /// How many connections are open at once.
    pub max_connections: usize,
    /// How many bytes a request's headers may hold (hyper's buffer, at least 8 KiB).
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(15),
            write_timeout: Duration::from_secs(30),
            max_connections: 512,
            // Above CloudFront's 20 KB of headers, and API Gateway's 10 KB.
            max_header_bytes: 64 * 1024,
        }
    }
}

/// How long open connections are given to finish when the site stops.
const DRAIN: Duration = Duration::from_secs(5);

/// Serves `app` on `listener` within `limits` until `stop` completes, then lets the requests
/// in flight finish (for a few seconds at most).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    stop: impl Future<Output = ()>,
) {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8 * 1024))
        .keep_alive(true);
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&open).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut stop => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors (another process's, or the system's): wait for
                    // some to close rather than spinning.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let mut stream = TimeoutStream::new(stream);
        stream.set_write_timeout(Some(limits.write_timeout));
        let service = TowerToHyperService::new(app.clone());
        let connection =
            graceful.watch(builder.serve_connection(TokioIo::new(Box::pin(stream)), service));
        tokio::spawn(async move {
            // A connection's end (the client left, a deadline passed) is nothing to report.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN) => {}
    }
}
