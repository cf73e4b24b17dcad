//! Multipart uploads and their staged parts (`parts` keyed by upload id, then part number).

use std::ops::Bound;

use sled::Transactional;

use super::db::Meta;
use super::errors::{abort, sled_err, txn_err};
use super::objects::Row;
use super::pending::PendingLog;
use crate::layout::BlobId;
use crate::records::{
    decode, decode_upload, encode, encode_upload, part_key, upload_key, PartRec, UploadRec,
};
use crate::{Error, Result};

impl Meta {
    pub fn insert_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        rec: &UploadRec,
    ) -> Result<()> {
        let k = upload_key(bucket, key, upload_id);
        let value = encode_upload(rec)?;
        (&self.buckets, &self.uploads)
            .transaction(|(b, u)| {
                if b.get(bucket)?.is_none() {
                    return abort(Error::NoSuchBucket);
                }
                u.insert(k.as_slice(), value.as_slice())?;
                Ok(())
            })
            .map_err(txn_err)
    }

    pub fn upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<Option<UploadRec>> {
        match self
            .uploads
            .get(upload_key(bucket, key, upload_id))
            .map_err(sled_err)?
        {
            Some(v) => Ok(Some(decode_upload(&v)?)),
            None => Ok(None),
        }
    }

    pub fn scan_uploads(&self, start: Bound<Vec<u8>>) -> impl Iterator<Item = Result<Row>> {
        self.uploads
            .range((start, Bound::Unbounded))
            .map(|row| row.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(sled_err))
    }

    /// Stage a part if the upload still exists, in one transaction that unmarks the part's
    /// blob and marks the blob of the part it replaced (returned).
    pub fn put_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        rec: &PartRec,
    ) -> Result<Option<PartRec>> {
        let uk = upload_key(bucket, key, upload_id);
        let pk = part_key(upload_id, part_number);
        let value = encode(rec)?;
        (&self.uploads, &self.parts, &self.pending.0)
            .transaction(|(u, p, pd)| {
                if u.get(uk.as_slice())?.is_none() {
                    return abort(Error::NoSuchUpload);
                }
                pd.remove(rec.blob.0.as_slice())?;
                let Some(old) = p.insert(pk.as_slice(), value.as_slice())? else {
                    return Ok(None);
                };
                let old: PartRec = match decode("part", &old) {
                    Ok(old) => old,
                    Err(e) => return abort(e),
                };
                pd.insert(old.blob.0.as_slice(), &[])?;
                Ok(Some(old))
            })
            .map_err(txn_err)
    }

    /// Parts of an upload with a number greater than `after`, ascending.
    pub fn parts(&self, upload_id: &str, after: u32) -> Result<Vec<(u32, PartRec)>> {
        self.parts_iter(upload_id, after).collect()
    }

    pub fn parts_iter(
        &self,
        upload_id: &str,
        after: u32,
    ) -> impl Iterator<Item = Result<(u32, PartRec)>> {
        let prefix_len = upload_id.len();
        let start = match after.checked_add(1) {
            Some(n) => Bound::Included(part_key(upload_id, n)),
            // Nothing comes after u32::MAX: start past the upload's whole range.
            None => Bound::Excluded(part_key(upload_id, u32::MAX)),
        };
        let end = {
            let mut e = upload_id.as_bytes().to_vec();
            e.push(0xFF);
            Bound::Excluded(e)
        };
        self.parts.range((start, end)).map(move |row| {
            let (k, v) = row.map_err(sled_err)?;
            let number: [u8; 4] = k
                .get(prefix_len..)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| Error::Corrupt("part key".into()))?;
            Ok((u32::from_be_bytes(number), decode("part", &v)?))
        })
    }

    /// Remove an upload and the given part records in one transaction, which marks the
    /// parts' blobs (`released`) `pending`.
    pub fn remove_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[u32],
        released: &[BlobId],
    ) -> Result<()> {
        let uk = upload_key(bucket, key, upload_id);
        let mut batch = sled::Batch::default();
        for &n in parts {
            batch.remove(part_key(upload_id, n));
        }
        (&self.uploads, &self.parts, &self.pending.0)
            .transaction(|(u, p, pd)| {
                if u.remove(uk.as_slice())?.is_none() {
                    return abort(Error::NoSuchUpload);
                }
                p.apply_batch(&batch)?;
                PendingLog::mark_in(pd, released)?;
                Ok(())
            })
            .map_err(txn_err)
    }
}
