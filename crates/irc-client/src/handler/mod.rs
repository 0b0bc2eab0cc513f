//! Handlers: async functions whose parameters are extractors.
//!
//! The design is axum's. Each parameter type implements
//! [`FromEvent`]: it knows how to pull itself out
//! of an event, and which events can supply it. [`Handler`] is implemented
//! (by a macro) for every `Fn(T1, .., Tn) -> impl Future` with up to 12
//! extractor parameters, whose output is `()` or `Result<(), E>`. When a
//! handler is registered with [`Client::on`](crate::Client::on), every
//! parameter is checked against the event's [`Schema`];
//! a parameter the event cannot supply is a [`RegisterError`](crate::RegisterError)
//! there and then, not a surprise at run time.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;

use crate::client::Client;
use crate::error::Missing;
use crate::event::{EventName, Schema};
use crate::extract::FromEvent;

pub(crate) mod context;
pub mod extract;

pub use context::{EventContext, EventSpec};

/// An async function usable as an event handler: every parameter implements
/// [`FromEvent`], the output is `()` or `Result<(), E>` with `E: Display`.
///
/// You never implement this trait: it is implemented for functions and
/// closures of up to 12 parameters. The type parameter `T` (the tuple of
/// parameter types) only tells the implementations apart.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event handler",
    label = "not an event handler",
    note = "a handler is an async fn (or a closure returning a future) taking at most 12 parameters",
    note = "every parameter must be an extractor (`FromEvent`): `Client`, `Nick`, `User`, `Host`, `Source`, `Target`, `Channel`, `Text`, `Params`, `Tags`, `Raw`, `Numeric`, `State<T>`, ... or an `Option` of one",
    note = "the future's output must be `()` or `Result<(), E>` where `E: Display`, and the future must be `Send + 'static`"
)]
pub trait Handler<T>: Send + Sync + Sized + 'static {
    /// Checks every parameter against what the event can supply.
    #[doc(hidden)]
    fn check(spec: &EventSpec<'_>) -> Result<(), Missing>;

    /// Extracts the parameters and starts the call; `Err` names the first
    /// parameter this event did not carry.
    #[doc(hidden)]
    fn call(&self, ctx: &EventContext<'_>) -> Result<BoxFuture<'static, ()>, &'static str>;
}

/// What a handler may return: `()`, or `Result<(), E>` whose error is logged.
pub trait HandlerOutput: Send + 'static {
    /// Reports the outcome (an error is logged with `tracing`).
    fn report(self, event: &EventName);
}

impl HandlerOutput for () {
    fn report(self, _event: &EventName) {}
}

impl<E: Display + Send + 'static> HandlerOutput for Result<(), E> {
    fn report(self, event: &EventName) {
        if let Err(e) = self {
            tracing::error!(event = %event, error = %e, "handler failed");
        }
    }
}

/// The short name of a type, for messages: `Text` rather than
/// `irc_client::extract::Text`.
pub(crate) fn short_type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    // Keep generics readable: shorten only the outer path.
    let head = full.split('<').next().unwrap_or(full);
    match head.rfind("::") {
        Some(i) => &full[i + 2..],
        None => full,
    }
}

macro_rules! impl_handler {
    ($($ty:ident),*) => {
        impl<F, Fut, Out, $($ty,)*> Handler<($($ty,)*)> for F
        where
            F: Fn($($ty),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = Out> + Send + 'static,
            Out: HandlerOutput,
            $($ty: FromEvent,)*
        {
            #[allow(unused_variables)]
            fn check(spec: &EventSpec<'_>) -> Result<(), Missing> {
                $($ty::check(spec)?;)*
                Ok(())
            }

            #[allow(non_snake_case, unused_variables)]
            fn call(&self, ctx: &EventContext<'_>) -> Result<BoxFuture<'static, ()>, &'static str> {
                $(
                    let Some($ty) = $ty::from_event(ctx) else {
                        return Err(short_type_name::<$ty>());
                    };
                )*
                let fut = (self)($($ty),*);
                let name = ctx.name().clone();
                Ok(Box::pin(async move { fut.await.report(&name) }))
            }
        }
    };
}

impl_handler!();
impl_handler!(T1);
impl_handler!(T1, T2);
impl_handler!(T1, T2, T3);
impl_handler!(T1, T2, T3, T4);
impl_handler!(T1, T2, T3, T4, T5);
impl_handler!(T1, T2, T3, T4, T5, T6);
impl_handler!(T1, T2, T3, T4, T5, T6, T7);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12);

/// A registered handler with its types erased.
pub(crate) type ErasedHandler =
    Arc<dyn Fn(&EventContext<'_>) -> Result<BoxFuture<'static, ()>, &'static str> + Send + Sync>;

/// Checks a handler for an event and erases its type.
pub(crate) fn erase<H, T>(
    handler: H,
    name: &EventName,
    client: &Client,
) -> Result<ErasedHandler, crate::RegisterError>
where
    H: Handler<T>,
    T: 'static,
{
    let spec = EventSpec::new(name, Schema::of(name), client);
    H::check(&spec).map_err(|m| m.for_event(name))?;
    Ok(Arc::new(move |ctx: &EventContext<'_>| handler.call(ctx)))
}
