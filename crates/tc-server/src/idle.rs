//! Connections that stop moving are closed (issue 13, finding 10: 50 connections sending half a
//! header and 50 sending nothing stayed open for minutes, each holding a socket and a task).
//!
//! Every accepted connection (plain or TLS) is wrapped in [`Idle`]: when neither a byte is read
//! nor a byte written for [`crate::Config::idle_timeout`], the next read fails with `TimedOut`
//! and hyper drops the connection. That covers a client that sends nothing, one that stops half
//! way through its header, and a keep-alive connection left open; a request in progress moves
//! and is never cut.

use axum::serve::Listener;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep, sleep};

/// A listener whose connections close when idle.
pub(crate) struct IdleListener<L> {
    pub inner: L,
    pub timeout: Duration,
}

impl<L: Listener> Listener for IdleListener<L> {
    type Io = Idle<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = self.inner.accept().await;
        (Idle::new(io, self.timeout), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection with an idle deadline, pushed back by every byte in either direction.
///
/// The timer is not moved on every read and write (two resets of the runtime's timer per
/// request, each under its lock): a byte only notes the instant it moved, and when the timer
/// fires it is set again from that instant if the connection moved meanwhile. A connection
/// still closes once nothing has moved for the timeout.
pub(crate) struct Idle<T> {
    io: T,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    /// When a byte last moved.
    last: Instant,
}

impl<T> Idle<T> {
    fn new(io: T, timeout: Duration) -> Idle<T> {
        Idle {
            io,
            timeout,
            deadline: Box::pin(sleep(timeout)),
            last: Instant::now(),
        }
    }
    fn moved(&mut self) {
        self.last = Instant::now();
    }
    /// Ready when nothing has moved for the timeout; otherwise the timer is waiting (set again
    /// from the last movement if it fired early).
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if self.deadline.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            let next = self.last + self.timeout;
            if next <= Instant::now() {
                return Poll::Ready(());
            }
            self.deadline.as_mut().reset(next);
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Idle<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    this.moved();
                }
                Poll::Ready(r)
            }
            Poll::Pending => match this.poll_idle(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connection idle too long",
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Idle<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.moved();
        }
        r
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
