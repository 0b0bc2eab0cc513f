//! Scheduled jobs: interval and one-shot, owned by a plugin.
//!
//! Jobs run on the tokio runtime and use tokio's clock, so tests can drive
//! them with a paused clock (`tokio::time::pause` and `advance`). Each run
//! is its own task: a run that returns an error or panics is logged and the
//! schedule goes on. Deactivating a plugin cancels its jobs.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::error::{BotError, BoxError};
use crate::plugin::PluginContext;

/// Identifies a scheduled job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JobId(u64);

/// One plugin's jobs.
type JobList = Vec<(JobId, JoinHandle<()>)>;

/// The jobs of every plugin.
#[derive(Debug, Default)]
pub(crate) struct Scheduler {
    next: AtomicU64,
    jobs: Mutex<HashMap<String, JobList>>,
}

async fn run_once<Fut, E>(plugin: &str, fut: Fut)
where
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<BoxError>,
{
    let run = async move { fut.await.map_err(Into::<BoxError>::into) };
    match tokio::spawn(run).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(plugin, error = %e, "scheduled job failed"),
        Err(e) => tracing::error!(plugin, error = %e, "scheduled job panicked"),
    }
}

impl Scheduler {
    fn register(&self, plugin: &str, handle: JoinHandle<()>) -> JobId {
        let id = JobId(self.next.fetch_add(1, Ordering::Relaxed));
        let mut jobs = self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let list = jobs.entry(plugin.to_owned()).or_default();
        list.retain(|(_, h)| !h.is_finished());
        list.push((id, handle));
        id
    }

    pub(crate) fn every<F, Fut, E>(
        &self,
        ctx: PluginContext,
        interval: Duration,
        job: F,
    ) -> Result<JobId, BotError>
    where
        F: Fn(PluginContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let plugin = ctx.name().to_owned();
        // A zero period would spin; one millisecond is the floor.
        let interval = interval.max(Duration::from_millis(1));
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| BotError::NoRuntime)?;
        let handle = runtime.spawn(async move {
            let start = tokio::time::Instant::now() + interval;
            let mut ticker = tokio::time::interval_at(start, interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                run_once(ctx.name(), job(ctx.clone())).await;
            }
        });
        Ok(self.register(&plugin, handle))
    }

    pub(crate) fn once<F, Fut, E>(
        &self,
        ctx: PluginContext,
        delay: Duration,
        job: F,
    ) -> Result<JobId, BotError>
    where
        F: FnOnce(PluginContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let plugin = ctx.name().to_owned();
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| BotError::NoRuntime)?;
        let handle = runtime.spawn(async move {
            tokio::time::sleep(delay).await;
            let name = ctx.name().to_owned();
            run_once(&name, job(ctx)).await;
        });
        Ok(self.register(&plugin, handle))
    }

    pub(crate) fn cancel(&self, plugin: &str, id: JobId) -> bool {
        let mut jobs = self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(list) = jobs.get_mut(plugin) else {
            return false;
        };
        let Some(pos) = list.iter().position(|(j, _)| *j == id) else {
            return false;
        };
        let (_, handle) = list.remove(pos);
        let running = !handle.is_finished();
        handle.abort();
        running
    }

    pub(crate) fn cancel_plugin(&self, plugin: &str) {
        let mut jobs = self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (_, handle) in jobs.remove(plugin).unwrap_or_default() {
            handle.abort();
        }
    }
}
