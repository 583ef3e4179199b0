//! A connection's outbound queue: bounded, written by any task, read by the
//! connection's outbox alone.
//!
//! It holds no memory while empty. A tokio `mpsc` channel allocates its
//! shared state and a first block of 32 slots up front, about 1.5 KiB that
//! every idle connection carried; this queue is a `VecDeque` under a lock,
//! inline in the connection, given back once it drains after a burst.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::Notify;

/// A drained queue keeps its storage up to this many frames, and frees more.
const KEPT_WHEN_EMPTY: usize = 32;

/// Why a frame was not queued; the frame comes back.
#[derive(Debug)]
pub(crate) enum TrySendError {
    /// The queue holds its capacity.
    Full(Bytes),
    /// The reader is gone.
    Closed(Bytes),
}

/// The queue.
#[derive(Debug)]
pub(crate) struct Queue {
    capacity: usize,
    frames: Mutex<VecDeque<Bytes>>,
    /// The reader is gone: nothing is queued any more. Set under the lock.
    closed: AtomicBool,
    /// The reader waits here for a frame.
    filled: Notify,
    /// Writers wait here for room.
    drained: Notify,
}

impl Queue {
    /// A queue of at most `capacity` frames (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            frames: Mutex::default(),
            closed: AtomicBool::new(false),
            filled: Notify::new(),
            drained: Notify::new(),
        }
    }

    fn frames(&self) -> MutexGuard<'_, VecDeque<Bytes>> {
        self.frames.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `frame` if there is room now.
    pub(crate) fn try_send(&self, frame: Bytes) -> Result<(), TrySendError> {
        let mut frames = self.frames();
        if self.is_closed() {
            return Err(TrySendError::Closed(frame));
        }
        if frames.len() >= self.capacity {
            return Err(TrySendError::Full(frame));
        }
        frames.push_back(frame);
        drop(frames);
        self.filled.notify_one();
        Ok(())
    }

    /// Queues `frame`, waiting for room; gives it back if the reader is gone.
    pub(crate) async fn send(&self, mut frame: Bytes) -> Result<(), Bytes> {
        loop {
            let drained = self.drained.notified();
            let mut drained = std::pin::pin!(drained);
            drained.as_mut().enable();
            frame = match self.try_send(frame) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(frame)) => return Err(frame),
                Err(TrySendError::Full(frame)) => frame,
            };
            drained.await;
        }
    }

    /// The next frame, if one is queued.
    pub(crate) fn try_recv(&self) -> Option<Bytes> {
        let mut frames = self.frames();
        let was_full = frames.len() >= self.capacity;
        let frame = frames.pop_front()?;
        if frames.is_empty() && frames.capacity() > KEPT_WHEN_EMPTY {
            *frames = VecDeque::new();
        }
        drop(frames);
        if was_full {
            self.drained.notify_waiters();
        }
        Some(frame)
    }

    /// Resolves once a frame may have been queued since the last [`Queue::try_recv`]
    /// found none (a frame queued before this is called counts). For the reader only.
    pub(crate) async fn filled(&self) {
        self.filled.notified().await;
    }

    /// Frames queued now.
    pub(crate) fn len(&self) -> usize {
        self.frames().len()
    }

    /// Whether the reader is gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// The reader is gone: drops what is queued and refuses the rest.
    pub(crate) fn close(&self) {
        let frames = {
            let mut frames = self.frames();
            self.closed.store(true, Ordering::Release);
            std::mem::take(&mut *frames)
        };
        drop(frames);
        self.drained.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    fn frame(n: u8) -> Bytes {
        Bytes::from(vec![n])
    }

    #[test]
    fn frames_come_out_in_order_up_to_the_capacity() {
        let queue = Queue::new(2);
        queue.try_send(frame(1)).unwrap();
        queue.try_send(frame(2)).unwrap();
        assert!(matches!(
            queue.try_send(frame(3)),
            Err(TrySendError::Full(_))
        ));
        assert_eq!(queue.len(), 2);
        assert_eq!(queue.try_recv(), Some(frame(1)));
        queue.try_send(frame(3)).unwrap();
        assert_eq!(queue.try_recv(), Some(frame(2)));
        assert_eq!(queue.try_recv(), Some(frame(3)));
        assert_eq!(queue.try_recv(), None);
    }

    #[test]
    fn a_drained_queue_gives_its_storage_back() {
        let queue = Queue::new(1000);
        for n in 0..100 {
            queue.try_send(frame(n)).unwrap();
        }
        while queue.try_recv().is_some() {}
        assert_eq!(queue.frames().capacity(), 0);
    }

    #[tokio::test]
    async fn a_waiting_writer_gets_room_or_learns_the_reader_left() {
        let queue = Arc::new(Queue::new(1));
        queue.try_send(frame(1)).unwrap();
        let writer = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.send(frame(2)).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!writer.is_finished(), "the writer waits for room");
        assert_eq!(queue.try_recv(), Some(frame(1)));
        writer.await.unwrap().unwrap();
        assert_eq!(queue.try_recv(), Some(frame(2)));

        queue.try_send(frame(3)).unwrap();
        let writer = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.send(frame(4)).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        queue.close();
        assert_eq!(writer.await.unwrap(), Err(frame(4)));
        assert!(queue.is_closed());
        assert_eq!(queue.try_recv(), None);
    }

    #[tokio::test]
    async fn the_reader_is_woken_by_a_frame() {
        let queue = Arc::new(Queue::new(4));
        let reader = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move {
                loop {
                    if let Some(frame) = queue.try_recv() {
                        return frame;
                    }
                    queue.filled().await;
                }
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        queue.try_send(frame(7)).unwrap();
        assert_eq!(reader.await.unwrap(), frame(7));
    }
}
