//! Plain HTTP/1.1 on a device's port (REST mirrors, status pages, the control API), served by hyper
//! with request types small enough that devices never see hyper; the network faults that name a port's
//! exchanges (`endrpi/http`) refuse, hang, reset or hold them here.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::serve::ServeContext;
use crate::serve::device::{HttpAnswer, Service};
use crate::serve::faults::ConnKey;
use crate::serve::faults::exchange::{ExchangeFaults, REFUSED_BODY, Stop};
use crate::serve::faults::reset::{Abort, ResetSwitch, Resettable};
use crate::serve::listener::{HANG_LIMIT, HEAD_TIMEOUT, MAX_HEAD_BYTES};
use crate::transcript::{Direction, HttpRecord};
use understudy_core::proto::http::{HttpRequest, HttpResponse};

/// The largest request body accepted; a larger one gets 413.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// How long a request body may take to arrive; a slower one gets 408.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// An exchange a fault ended without an answer: hyper then drops the connection (reset, if the fault armed it).
#[derive(Debug, thiserror::Error)]
#[error("the exchange was cut by a network fault")]
struct CutByFault;

/// What one connection's exchanges share: its faults and the switch that resets it.
struct ConnFaults {
    exchanges: Mutex<ExchangeFaults>,
    reset: ResetSwitch,
}

impl ConnFaults {
    fn exchanges(&self) -> std::sync::MutexGuard<'_, ExchangeFaults> {
        self.exchanges.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Serves HTTP/1.1 requests on connection `conn` (labelled `ENDPOINT/http`) until the peer closes it or the
/// simulator shuts down.
pub async fn serve<S>(io: S, service: Arc<dyn Service>, ctx: Arc<ServeContext>, conn: ConnKey)
where
    S: AsyncRead + AsyncWrite + Abort + Unpin + Send + 'static,
{
    let (io, reset) = Resettable::new(io);
    let label = conn.label.clone();
    let faults = Arc::new(ConnFaults {
        exchanges: Mutex::new(ExchangeFaults::new(ctx.faults.clone(), conn)),
        reset,
    });
    let handler = {
        let ctx = ctx.clone();
        service_fn(move |request: hyper::Request<Incoming>| {
            let service = service.clone();
            let ctx = ctx.clone();
            let label = label.clone();
            let faults = faults.clone();
            async move { answer(request, service.as_ref(), &ctx, &label, &faults).await }
        })
    };
    // Every request head on the connection, not only the first, gets the listener's size and time limits;
    // the time limit runs from the end of the previous response, so it also closes idle keep-alive connections.
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_buf_size(MAX_HEAD_BYTES)
        .serve_connection(TokioIo::new(io), handler);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "http connection ended with an error");
            }
        }
        _ = ctx.shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

async fn answer(
    request: hyper::Request<Incoming>,
    service: &dyn Service,
    ctx: &ServeContext,
    label: &str,
    faults: &ConnFaults,
) -> Result<hyper::Response<Full<Bytes>>, CutByFault> {
    let stop = faults.exchanges().stop();
    let (parts, body) = request.into_parts();
    let authorization = parts
        .headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let accept = parts.headers.get(hyper::header::ACCEPT).and_then(|v| v.to_str().ok());
    // A static page that holds no state is answered before the token check (its script sends the token).
    let (HttpAnswer { response, headers }, request_body) = match stop {
        Some(Stop::Reset) => {
            faults.reset.arm();
            return Err(CutByFault);
        }
        Some(Stop::Hang) => {
            tokio::select! {
                _ = ctx.shutdown.cancelled() => {}
                _ = tokio::time::sleep(HANG_LIMIT) => {}
            }
            return Err(CutByFault);
        }
        Some(Stop::Refuse(status)) => (
            HttpResponse::with_type(status, "text/plain", REFUSED_BODY).into(),
            Bytes::new(),
        ),
        None => match service.public_page(parts.method.as_str(), parts.uri.path(), accept) {
            Some(page) => (page.into(), Bytes::new()),
            None => match service.authorize_http(authorization) {
                Err(refused) => (refused.into(), Bytes::new()),
                Ok(()) => read_and_answer(&parts, body, service, ctx).await,
            },
        },
    };
    let answered = ctx.clock.now();
    let at = faults.exchanges().answer_at(answered, response.body.len());
    if at > answered {
        tokio::select! {
            _ = ctx.clock.sleep_until(at) => {}
            _ = ctx.shutdown.cancelled() => {}
        }
    }
    if ctx.transcript.is_enabled() {
        let summary = format!("{} {} -> {}", parts.method, parts.uri.path(), response.status);
        let bodies = service.records_bodies();
        let record = HttpRecord {
            summary: &summary,
            upgrade: false,
            request: if bodies { &request_body } else { &[] },
            response: if bodies { &response.body } else { &[] },
        };
        // Stamped when the answer goes (a held one at its release time, which a virtual clock may jump past).
        let stamp = if at > answered { at } else { ctx.clock.now() };
        ctx.transcript.record_http(stamp, label, Direction::In, &record);
    }
    let mut builder = hyper::Response::builder()
        .status(response.status)
        .header(hyper::header::CONTENT_TYPE, response.content_type);
    if let Some(location) = &response.location {
        builder = builder.header(hyper::header::LOCATION, location.as_str());
    }
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    if ctx.shutdown.is_cancelled() {
        builder = builder.header(hyper::header::CONNECTION, "close");
    }
    Ok(builder
        .body(Full::new(response.body))
        .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new()))))
}

/// Reads the body (at most `MAX_BODY_BYTES`) and asks the service for its answer; returns it with the body.
async fn read_and_answer(
    parts: &hyper::http::request::Parts,
    body: Incoming,
    service: &dyn Service,
    ctx: &ServeContext,
) -> (HttpAnswer, Bytes) {
    let collected = tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_BODY_BYTES).collect()).await;
    let Ok(collected) = collected else {
        return (
            HttpResponse::json(408, r#"{"error":"request body too slow"}"#).into(),
            Bytes::new(),
        );
    };
    match collected {
        Ok(collected) => {
            let body = collected.to_bytes();
            let request = HttpRequest {
                method: parts.method.as_str().to_string(),
                path: parts.uri.path().to_string(),
                query: parts.uri.query().map(str::to_string),
                content_type: parts
                    .headers
                    .get(hyper::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
                body: body.clone(),
            };
            let cookie = parts.headers.get(hyper::header::COOKIE).and_then(|v| v.to_str().ok());
            (service.http_async(ctx.clock.now(), request, cookie).await, body)
        }
        Err(_) => (
            HttpResponse::json(413, r#"{"error":"request body too large"}"#).into(),
            Bytes::new(),
        ),
    }
}
