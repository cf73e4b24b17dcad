//! The background expirer: applies every bucket's lifecycle rules, a bounded amount of work
//! per pass, resuming where the last pass stopped.
//!
//! A pass walks each bucket's version listing (key ascending, newest first) from its cursor
//! for at most [`PAGES_PER_PASS`] pages, decides per entry what the rules ask, and does it
//! through the same storage calls a client's DELETE uses (each one atomic and durable, so a
//! kill at any point leaves every object whole or gone; the next pass picks up the rest):
//!
//! - a current version past its `Expiration` is deleted (a delete marker in a versioned
//!   bucket) only if it is still the object that was examined: the delete carries its ETag
//!   and exact modification time, so an overwrite that lands meanwhile is never deleted;
//! - a noncurrent version (or delete marker) `NoncurrentDays` after it became noncurrent
//!   (when its successor was written) is removed, beyond the `NewerNoncurrentVersions`
//!   newest noncurrent ones;
//! - a current delete marker that is its key's only version is removed under
//!   `ExpiredObjectDeleteMarker`;
//! - multipart uploads `DaysAfterInitiation` old are aborted;
//! - a version Object Lock protects is kept (the store refuses its removal; the pass counts
//!   it in `locked_kept` and goes on), as AWS's lifecycle never removes a locked version.
//!
//! In a bucket with an origin, an expired object is removed without a tombstone: the origin
//! becomes its source again, as for a key never pulled.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use storage::{DeleteCondition, Store, UploadQuery, VersionEntry, VersionQuery};

use super::expiry::after_days;
use super::{Lifecycle, Lifecycles};

/// Entries of a version listing page.
pub const PAGE: usize = 1000;
/// Pages of one bucket a pass walks at most.
pub const PAGES_PER_PASS: usize = 10;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    pub examined: usize,
    pub expired: usize,
    pub noncurrent_removed: usize,
    pub markers_removed: usize,
    pub uploads_aborted: usize,
    /// Versions a rule would have removed that Object Lock keeps.
    pub locked_kept: usize,
}

impl PassReport {
    fn acted(&self) -> bool {
        self.expired + self.noncurrent_removed + self.markers_removed + self.uploads_aborted > 0
    }
}

/// Where each bucket's walk resumes.
#[derive(Default)]
pub struct Cursors(HashMap<String, Cursor>);

#[derive(Default)]
struct Cursor {
    key_marker: Option<String>,
    version_id_marker: Option<String>,
    key: KeyState,
    upload_key_marker: Option<String>,
    upload_id_marker: Option<String>,
}

/// What the walk knows of the key it is in (a key whose versions span pages keeps it).
#[derive(Default)]
struct KeyState {
    key: String,
    /// When the entry before this one (its successor) was written.
    successor: Option<SystemTime>,
    noncurrent_seen: usize,
    entries_seen: usize,
    /// The key's current version is this delete marker, seen as its only entry so far.
    sole_marker: Option<String>,
}

enum Action {
    DeleteCurrent {
        key: String,
        etag: String,
        modified: SystemTime,
    },
    RemoveVersion {
        key: String,
        version_id: String,
        marker: bool,
    },
}

impl KeyState {
    fn new(key: &str) -> KeyState {
        KeyState {
            key: key.to_owned(),
            ..KeyState::default()
        }
    }

    fn visit(
        &mut self,
        e: &VersionEntry,
        rules: &Lifecycle,
        now: SystemTime,
        day: Duration,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        if e.key != self.key {
            actions.extend(self.finish(rules));
            *self = KeyState::new(&e.key);
        }
        self.entries_seen += 1;
        if self.entries_seen > 1 {
            self.sole_marker = None;
        }
        let version_id = e.version_id.clone().unwrap_or_else(|| "null".into());
        let enabled = rules.rules.iter().filter(|r| r.enabled);
        match (e.is_latest, &e.object) {
            (true, Some(o)) => {
                let due = enabled
                    .filter(|r| r.filter.matches(&e.key, &o.attrs.tags, o.size))
                    .filter_map(|r| r.expiration)
                    .any(|x| x.due(o.last_modified, day) <= now);
                if due {
                    actions.push(Action::DeleteCurrent {
                        key: e.key.clone(),
                        etag: o.etag.clone(),
                        modified: o.last_modified,
                    });
                }
            }
            (true, None) if self.entries_seen == 1 => self.sole_marker = Some(version_id),
            (true, None) => {}
            (false, object) => {
                let index = self.noncurrent_seen;
                self.noncurrent_seen += 1;
                let became_noncurrent = self.successor.unwrap_or(e.last_modified);
                let due = enabled
                    .filter(|r| match object {
                        Some(o) => r.filter.matches(&e.key, &o.attrs.tags, o.size),
                        None => r.filter.matches_key_only(&e.key),
                    })
                    .filter_map(|r| r.noncurrent)
                    .any(|n| {
                        index >= n.keep_newer && after_days(became_noncurrent, n.days, day) <= now
                    });
                if due {
                    actions.push(Action::RemoveVersion {
                        key: e.key.clone(),
                        version_id,
                        marker: object.is_none(),
                    });
                }
            }
        }
        self.successor = Some(e.last_modified);
        actions
    }

    /// The key ended: a delete marker that was its only version may go.
    fn finish(&mut self, rules: &Lifecycle) -> Option<Action> {
        let marker = self.sole_marker.take()?;
        let wanted = rules.rules.iter().any(|r| {
            r.enabled && r.expired_object_delete_marker && r.filter.matches_key_only(&self.key)
        });
        (wanted && self.entries_seen == 1).then(|| Action::RemoveVersion {
            key: self.key.clone(),
            version_id: marker,
            marker: true,
        })
    }
}

/// What a pass reads: the store, the buckets' lifecycle rules, and the length of a day.
pub struct Scope<'a> {
    pub store: &'a Store,
    pub lifecycles: &'a Lifecycles,
    pub day: Duration,
    /// Where expirations are told of (`s3:LifecycleExpiration:*` bucket events).
    pub notify: Option<&'a crate::notify::Notifications>,
}

/// Run the expirer in the background for as long as `owner` lives (it reads through
/// `scope`): a pass every quarter of a lifecycle day, at least every minute and at most ten
/// times a second.
pub fn spawn<S: Send + Sync + 'static>(owner: &Arc<S>, scope: for<'a> fn(&'a S) -> Scope<'a>) {
    let weak: Weak<S> = Arc::downgrade(owner);
    let every = (scope(owner).day / 4).clamp(Duration::from_millis(100), Duration::from_secs(60));
    tokio::spawn(async move {
        let mut cursors = Cursors::default();
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(owner) = weak.upgrade() else { return };
            match run_pass(scope(&owner), &mut cursors, SystemTime::now()).await {
                Ok(report) if report.acted() => tracing::info!(?report, "lifecycle pass"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "lifecycle pass failed"),
            }
        }
    });
}

/// One pass over every bucket with a lifecycle configuration.
pub async fn run_pass(
    scope: Scope<'_>,
    cursors: &mut Cursors,
    now: SystemTime,
) -> Result<PassReport, storage::Error> {
    let mut report = PassReport::default();
    let buckets = scope.store.list_buckets()?;
    cursors
        .0
        .retain(|name, _| buckets.iter().any(|b| &b.name == name));
    for bucket in buckets {
        let rules = match scope.lifecycles.get(&bucket.name) {
            Ok(Some(rules)) if rules.rules.iter().any(|r| r.enabled) => rules,
            Ok(_) => {
                cursors.0.remove(&bucket.name);
                continue;
            }
            Err(e) => {
                tracing::warn!(bucket = %bucket.name, error = %e.message, "lifecycle configuration unreadable");
                continue;
            }
        };
        let cursor = cursors.0.entry(bucket.name.clone()).or_default();
        let walk = Walk {
            store: scope.store,
            bucket: &bucket.name,
            rules: &rules,
            now,
            day: scope.day,
            notify: scope.notify,
        };
        walk.versions(cursor, &mut report).await?;
        walk.uploads(cursor, &mut report).await?;
    }
    Ok(report)
}

struct Walk<'a> {
    store: &'a Store,
    bucket: &'a str,
    rules: &'a Lifecycle,
    now: SystemTime,
    day: Duration,
    notify: Option<&'a crate::notify::Notifications>,
}

impl Walk<'_> {
    async fn versions(
        &self,
        cursor: &mut Cursor,
        report: &mut PassReport,
    ) -> Result<(), storage::Error> {
        for _ in 0..PAGES_PER_PASS {
            let query = VersionQuery {
                key_marker: cursor.key_marker.clone(),
                version_id_marker: cursor.version_id_marker.clone(),
                max_keys: PAGE,
                ..VersionQuery::default()
            };
            let (store, bucket) = (self.store.clone(), self.bucket.to_owned());
            let page = tokio::task::spawn_blocking(move || store.list_versions(&bucket, &query))
                .await
                .map_err(|e| storage::Error::Meta(format!("lifecycle listing task: {e}")))??;
            let mut entries = page.versions;
            let (mut key_marker, mut version_id_marker) =
                (page.next_key_marker, page.next_version_id_marker);
            // A page that ends inside a key it did not start with leaves that key whole to
            // the next page; only a key longer than a page is walked across pages.
            let first = entries.first().map(|e| e.key.clone());
            let last = entries.last().map(|e| e.key.clone());
            if page.is_truncated && first != last {
                if let Some(last) = last {
                    entries.retain(|e| e.key != last);
                    key_marker = entries.last().map(|e| e.key.clone());
                    version_id_marker = None;
                }
            }
            let mut actions = Vec::new();
            for e in &entries {
                report.examined += 1;
                actions.extend(cursor.key.visit(e, self.rules, self.now, self.day));
            }
            if !page.is_truncated {
                actions.extend(cursor.key.finish(self.rules));
                cursor.key = KeyState::default();
            }
            for action in actions {
                self.act(action, report).await?;
            }
            if !page.is_truncated {
                // The end: the next pass starts over from the first key.
                cursor.key_marker = None;
                cursor.version_id_marker = None;
                return Ok(());
            }
            cursor.key_marker = key_marker;
            cursor.version_id_marker = version_id_marker;
        }
        Ok(())
    }

    async fn act(&self, action: Action, report: &mut PassReport) -> Result<(), storage::Error> {
        let result = match &action {
            Action::DeleteCurrent {
                key,
                etag,
                modified,
            } => {
                let unchanged = DeleteCondition {
                    if_match: Some(etag.clone()),
                    exactly_modified: Some(*modified),
                    ..DeleteCondition::default()
                };
                self.store
                    .delete_if(self.bucket, key, None, false, &unchanged)
                    .await
            }
            Action::RemoveVersion {
                key, version_id, ..
            } => {
                self.store
                    .delete(self.bucket, key, Some(version_id), false)
                    .await
            }
        };
        match result {
            Ok(deleted) => {
                self.tell(&action, &deleted).await;
                match action {
                    Action::DeleteCurrent { .. } => report.expired += 1,
                    Action::RemoveVersion { marker: true, .. } => report.markers_removed += 1,
                    Action::RemoveVersion { .. } => report.noncurrent_removed += 1,
                }
                Ok(())
            }
            // Object Lock keeps the version (retained or held): the rule skips it, as on AWS.
            Err(storage::Error::ObjectLocked) => {
                report.locked_kept += 1;
                Ok(())
            }
            // Changed or gone since it was examined: a client's write or delete won.
            Err(
                storage::Error::PreconditionFailed
                | storage::Error::NoSuchKey
                | storage::Error::NoSuchBucket,
            ) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Queue the expiration's bucket event (a failure to is logged: the version is gone).
    async fn tell(&self, action: &Action, deleted: &storage::Deleted) {
        let Some(notify) = self.notify else { return };
        let (key, name, version) = match action {
            Action::DeleteCurrent { key, .. } if deleted.delete_marker => (
                key,
                "s3:LifecycleExpiration:DeleteMarkerCreated",
                deleted.version_id.clone(),
            ),
            Action::DeleteCurrent { key, .. } => (key, "s3:LifecycleExpiration:Delete", None),
            Action::RemoveVersion {
                key, version_id, ..
            } => (
                key,
                "s3:LifecycleExpiration:Delete",
                Some(version_id.clone()),
            ),
        };
        let mut event = crate::notify::Event::new(self.bucket, key, name);
        event.version_id = version;
        event.principal = Some("originstore-lifecycle".to_owned());
        if let Err(e) = notify.emit(&[event]).await {
            tracing::error!(bucket = self.bucket, key = %key, error = %e, "could not queue an expiration's notification");
        }
    }

    async fn uploads(
        &self,
        cursor: &mut Cursor,
        report: &mut PassReport,
    ) -> Result<(), storage::Error> {
        let abort_rules: Vec<_> = self
            .rules
            .rules
            .iter()
            .filter(|r| r.enabled && r.abort_upload_days.is_some())
            .collect();
        if abort_rules.is_empty() {
            return Ok(());
        }
        let page = self.store.list_uploads(
            self.bucket,
            &UploadQuery {
                key_marker: cursor.upload_key_marker.clone(),
                upload_id_marker: cursor.upload_id_marker.clone(),
                max_uploads: PAGE,
                ..UploadQuery::default()
            },
        )?;
        for upload in &page.uploads {
            let due = abort_rules.iter().any(|r| {
                r.filter.matches_key_only(&upload.key)
                    && r.abort_upload_days
                        .is_some_and(|d| after_days(upload.initiated, d, self.day) <= self.now)
            });
            if !due {
                continue;
            }
            match self
                .store
                .abort_upload(self.bucket, &upload.key, &upload.upload_id)
                .await
            {
                Ok(()) => report.uploads_aborted += 1,
                Err(storage::Error::NoSuchUpload) => {}
                Err(e) => return Err(e),
            }
        }
        if page.is_truncated {
            cursor.upload_key_marker = page.uploads.last().map(|u| u.key.clone());
            cursor.upload_id_marker = page.uploads.last().map(|u| u.upload_id.clone());
        } else {
            cursor.upload_key_marker = None;
            cursor.upload_id_marker = None;
        }
        Ok(())
    }
}
