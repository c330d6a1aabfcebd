//! A download streamed from a blocking writer: the export writes into a
//! `ChannelWriter` on its own thread, and the response body sends the chunks
//! as they come, so a file of ten million rows never sits in memory.

use std::io;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use cordon_store::{StoreError, StoreResult};
use tokio::sync::mpsc;

/// Bytes a chunk of the body holds before it is sent.
const CHUNK: usize = 64 * 1024;

/// Chunks on their way to the client; a slow client makes the export wait
/// here rather than pile up its file in memory.
const CHUNKS_IN_FLIGHT: usize = 8;

/// An `io::Write` that sends what is written to a response body in chunks.
/// It blocks while the client is behind, so it is for a blocking thread
/// (the store writes exports on one), never for an async task.
pub struct ChannelWriter {
    tx: mpsc::Sender<Bytes>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(chunk)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the download was cancelled"))
    }
}

impl io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() { Ok(()) } else { self.send() }
    }
}

/// Runs `export` into a `ChannelWriter` and answers with the file as it is
/// written. The answer waits for the first chunk, so a refusal or a failure
/// before any byte (no right to export, the database away) is still a
/// status; a failure later breaks the download off, so that a cut file is
/// never taken for a whole one.
pub async fn streamed<F, Fut>(content_type: &str, file_name: &str, export: F) -> Result<Response, StoreError>
where
    F: FnOnce(ChannelWriter) -> Fut,
    Fut: Future<Output = StoreResult<u64>> + Send + 'static,
{
    let (tx, mut rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    // Its own task: a download the client drops still ends, and is audited, in the store.
    let task = tokio::spawn(export(ChannelWriter { tx, buf: Vec::with_capacity(CHUNK) }));
    let (first, task) = match rx.recv().await {
        Some(chunk) => (chunk, Some(task)),
        // The writer is gone without a byte: the export's answer says why.
        None => {
            task.await.map_err(|e| StoreError::Io(format!("the export stopped: {e}")))??;
            (Bytes::new(), None)
        }
    };
    let body = futures_util::stream::unfold((Some(first), rx, task), |(first, mut rx, task)| async move {
        if let Some(chunk) = first {
            return Some((Ok(chunk), (None, rx, task)));
        }
        if let Some(chunk) = rx.recv().await {
            return Some((Ok(chunk), (None, rx, task)));
        }
        // Every byte is out; the body ends when the export (and its audit entry) has.
        let failed = match task?.await {
            Ok(Ok(_)) => return None,
            Ok(Err(e)) => io::Error::other(e.to_string()),
            Err(e) => io::Error::other(e.to_string()),
        };
        tracing::warn!(error = %failed, "a streamed download broke off");
        Some((Err(failed), (None, rx, None)))
    });
    Ok(attachment(content_type, file_name, Body::from_stream(body)))
}

/// A file the browser saves rather than shows: its type, its name and its body.
pub fn attachment(content_type: &str, file_name: &str, body: impl Into<Body>) -> Response {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    ([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], body.into())
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;

    use futures_util::StreamExt;

    use super::*;

    /// An export of `chunks` chunks that counts what it has written and says when it stopped.
    fn export(
        chunks: usize,
        written: Arc<AtomicUsize>,
        failed: Arc<AtomicBool>,
    ) -> impl FnOnce(ChannelWriter) -> std::pin::Pin<Box<dyn Future<Output = StoreResult<u64>> + Send>> {
        move |mut sink| {
            Box::pin(async move {
                tokio::task::spawn_blocking(move || {
                    for _ in 0..chunks {
                        if let Err(e) = sink.write_all(&[b'x'; CHUNK]) {
                            failed.store(true, Ordering::SeqCst);
                            return Err(StoreError::Io(e.to_string()));
                        }
                        written.fetch_add(CHUNK, Ordering::SeqCst);
                    }
                    sink.flush().map_err(|e| StoreError::Io(e.to_string()))?;
                    Ok(chunks as u64)
                })
                .await
                .map_err(|e| StoreError::Io(e.to_string()))?
            })
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_download_holds_only_a_few_chunks_ahead_of_a_slow_client_and_stops_the_export_when_dropped() {
        let (written, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        // 64 MiB, far more than may be held.
        let response = streamed("text/csv", "x.csv", export(1024, written.clone(), failed.clone())).await.unwrap();
        let mut body = response.into_body().into_data_stream();
        let first = body.next().await.unwrap().unwrap();
        assert_eq!(first.len(), CHUNK);
        // However long the client waits, the writer gets no further than the channel lets it.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let ahead = written.load(Ordering::SeqCst);
        assert!(ahead <= (CHUNKS_IN_FLIGHT + 2) * CHUNK, "{ahead} bytes written ahead");
        assert!(!failed.load(Ordering::SeqCst));
        // The client goes away: the export's next write fails and it ends.
        drop(body);
        for _ in 0..100 {
            if failed.load(Ordering::SeqCst) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(failed.load(Ordering::SeqCst), "the export was told");
    }

    #[tokio::test]
    async fn a_whole_download_arrives_in_order_and_a_failure_before_any_byte_is_the_exports_error() {
        let (written, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let response = streamed("text/csv", "x.csv", export(5, written, failed)).await.unwrap();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert_eq!(bytes.len(), 5 * CHUNK);
        let refused = streamed("text/csv", "x.csv", |_sink| async { Err::<u64, _>(StoreError::Forbidden) }).await;
        assert!(matches!(refused, Err(StoreError::Forbidden)));
    }

    #[tokio::test]
    async fn an_export_that_fails_after_its_first_bytes_breaks_the_body_off() {
        let response = streamed("text/csv", "x.csv", |mut sink| async move {
            tokio::task::spawn_blocking(move || {
                sink.write_all(&[b'x'; CHUNK]).map_err(|e| StoreError::Io(e.to_string()))?;
                Err::<u64, _>(StoreError::Io("the database went away".into()))
            })
            .await
            .map_err(|e| StoreError::Io(e.to_string()))?
        })
        .await
        .unwrap();
        assert!(axum::body::to_bytes(response.into_body(), usize::MAX).await.is_err(), "not a whole file");
    }
}
