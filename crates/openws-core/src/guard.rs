//! Guards: allow or refuse a frame from the sending connection's state,
//! before its handler runs (yoctopus' endpoint requirements).

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::runtime::{Connection, ErrorCode, FrameError};

/// A check a frame must pass before its handler runs.
///
/// A guard reads the sending connection (its typed state, its role, its
/// extensions) and says yes or no, at once or after awaiting something.
/// Attach it to the whole network ([`BindingsBuilder::guard`]), to one
/// sender role ([`BindingsBuilder::guard_role`]), to one message
/// ([`BindingsBuilder::guard_message`]) or to binary frames
/// ([`BindingsBuilder::guard_binary`]). A refused frame gets an error frame
/// with code `guard_rejected` and the guard's reason, and its handler does
/// not run.
///
/// ```
/// use openws_core::Guard;
///
/// /// Set by the `login` handler.
/// #[derive(Clone, PartialEq)]
/// struct Authenticated(bool);
///
/// let logged_in = Guard::require(Authenticated(true)).reason("log in first");
/// let not_muted = Guard::new(|connection| !connection.in_room("muted"));
/// let quota = Guard::new_async(|connection| async move {
///     // e.g. ask a quota service about `connection.id()`
///     connection.frames_in() < 1_000
/// });
/// ```
///
/// [`BindingsBuilder::guard`]: crate::BindingsBuilder::guard
/// [`BindingsBuilder::guard_role`]: crate::BindingsBuilder::guard_role
/// [`BindingsBuilder::guard_message`]: crate::BindingsBuilder::guard_message
/// [`BindingsBuilder::guard_binary`]: crate::BindingsBuilder::guard_binary
#[derive(Clone)]
pub struct Guard {
    check: Check,
    reason: Cow<'static, str>,
}

type SyncCheck = Arc<dyn Fn(&Connection) -> bool + Send + Sync>;
type AsyncCheck = Arc<dyn Fn(Arc<Connection>) -> BoxFuture<'static, bool> + Send + Sync>;

#[derive(Clone)]
enum Check {
    Sync(SyncCheck),
    Async(AsyncCheck),
}

impl Guard {
    /// A guard that decides at once.
    pub fn new(check: impl Fn(&Connection) -> bool + Send + Sync + 'static) -> Self {
        Self {
            check: Check::Sync(Arc::new(check)),
            reason: Cow::Borrowed("refused by a guard"),
        }
    }

    /// A guard that awaits before it decides (a lookup, a remote check).
    pub fn new_async<F, Fut>(check: F) -> Self
    where
        F: Fn(Arc<Connection>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        Self {
            check: Check::Async(Arc::new(move |connection| Box::pin(check(connection)))),
            reason: Cow::Borrowed("refused by a guard"),
        }
    }

    /// Allows connections whose state value of type `T` equals `value`
    /// (see [`Connection::insert`]); refuses those without one.
    pub fn require<T: PartialEq + Clone + Send + Sync + 'static>(value: T) -> Self {
        Self::new(move |connection| {
            connection.with::<T, _>(|state| state.is_some_and(|current| *current == value))
        })
    }

    /// Allows connections that have a state value of type `T`, whatever it is.
    pub fn has<T: Send + Sync + 'static>() -> Self {
        Self::new(Connection::contains::<T>)
    }

    /// The sentence a refused peer reads in the error frame.
    #[must_use]
    pub fn reason(mut self, reason: impl Into<Cow<'static, str>>) -> Self {
        self.reason = reason.into();
        self
    }

    async fn allows(&self, connection: &Arc<Connection>) -> bool {
        match &self.check {
            Check::Sync(check) => check(connection),
            Check::Async(check) => check(Arc::clone(connection)).await,
        }
    }
}

impl fmt::Debug for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.check {
            Check::Sync(_) => "sync",
            Check::Async(_) => "async",
        };
        f.debug_struct("Guard")
            .field("check", &kind)
            .field("reason", &self.reason)
            .finish()
    }
}

/// Runs guards in order; the first that refuses decides the error.
pub(crate) async fn check(
    scopes: [&[Guard]; 3],
    connection: &Arc<Connection>,
) -> Result<(), FrameError> {
    for guard in scopes.into_iter().flatten() {
        if !guard.allows(connection).await {
            return Err(FrameError::new(
                ErrorCode::GuardRejected,
                guard.reason.as_ref(),
            ));
        }
    }
    Ok(())
}
