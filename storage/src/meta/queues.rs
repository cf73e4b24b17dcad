//! Named durable queues in the `queues` tree (`name 0x00 id`): bucket notifications waiting
//! for their target, and the targets' dead letters. Ids come from the database's own
//! monotonic counter, so a queue reads in the order its records were appended, across
//! restarts.

use super::db::Meta;
use super::errors::sled_err;
use crate::{Error, Result};

fn key(name: &str, id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(name.len() + 9);
    k.extend_from_slice(name.as_bytes());
    k.push(0);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

fn prefix(name: &str) -> Vec<u8> {
    let mut k = name.as_bytes().to_vec();
    k.push(0);
    k
}

fn id_of(name: &str, k: &[u8]) -> Result<u64> {
    k.get(name.len() + 1..)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| Error::Corrupt("queue record id is not 8 bytes".into()))
}

impl Meta {
    /// Append each `(queue, record)` in one batch (all or none); their ids, in order.
    pub fn push_queued(&self, items: &[(&str, &[u8])]) -> Result<Vec<u64>> {
        let mut batch = sled::Batch::default();
        let mut ids = Vec::with_capacity(items.len());
        for (name, record) in items {
            if name.as_bytes().contains(&0) {
                return Err(Error::InvalidArgument(
                    "a queue name holds a NUL byte".into(),
                ));
            }
            let id = self.db.generate_id().map_err(sled_err)?;
            batch.insert(key(name, id), *record);
            ids.push(id);
        }
        self.queues.apply_batch(batch).map_err(sled_err)?;
        Ok(ids)
    }

    /// Up to `limit` records of queue `name`, oldest first.
    pub fn queued(&self, name: &str, limit: usize) -> Result<Vec<(u64, Vec<u8>)>> {
        let mut out = Vec::new();
        for row in self.queues.scan_prefix(prefix(name)).take(limit) {
            let (k, v) = row.map_err(sled_err)?;
            out.push((id_of(name, &k)?, v.to_vec()));
        }
        Ok(out)
    }

    /// How many records queue `name` holds (a walk of them: call it at start, not per event).
    pub fn queue_len(&self, name: &str) -> Result<u64> {
        let mut n = 0;
        for row in self.queues.scan_prefix(prefix(name)) {
            row.map_err(sled_err)?;
            n += 1;
        }
        Ok(n)
    }

    pub fn remove_queued(&self, name: &str, id: u64) -> Result<()> {
        self.queues
            .remove(key(name, id))
            .map(drop)
            .map_err(sled_err)
    }

    /// Move record `id` of queue `from` to the end of queue `to`, in one batch.
    pub fn move_queued(&self, from: &str, id: u64, to: &str) -> Result<()> {
        let Some(record) = self.queues.get(key(from, id)).map_err(sled_err)? else {
            return Ok(());
        };
        let new_id = self.db.generate_id().map_err(sled_err)?;
        let mut batch = sled::Batch::default();
        batch.remove(key(from, id));
        batch.insert(key(to, new_id), record);
        self.queues.apply_batch(batch).map_err(sled_err)
    }
}
