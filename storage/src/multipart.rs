//! Multipart uploads: create, stage parts (each part is its own blob), list, abort, expire,
//! and complete. Completion never concatenates: the object's metadata references the part
//! blobs in order, and ONE sled transaction removes the upload with its part records and
//! commits the object, so a crash leaves either the upload or the object.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html>

use std::collections::BTreeMap;
use std::ops::Bound;
use std::time::Duration;

use crate::blob::Blob;
use crate::checksum::{composite_checksum, multipart_etag, parse_md5_etag, to_base64};
use crate::key::validate_key;
use crate::layout::BlobId;
use crate::list::past;
use crate::records::object_meta;
use crate::records::{
    decode_upload, from_ns, join_key, now_ns, split_upload_key, to_ns, upload_key, BlobRef,
    ObjectRec, PartRec, UploadRec,
};
use crate::versions::NewContent;
use crate::{
    CommitCondition, CompletedPart, Error, ObjectAttrs, ObjectMeta, PartMeta, PartsPage, Result,
    Store, StoredChecksum, Upload, UploadChecksum, UploadQuery, UploadsPage,
};

/// S3's part number range.
pub const MAX_PART_NUMBER: u32 = 10_000;

fn upload(bucket: &str, key: &str, upload_id: &str, rec: UploadRec) -> Upload {
    Upload {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        upload_id: upload_id.to_owned(),
        initiated: from_ns(rec.initiated_ns),
        owner: rec.owner,
        attrs: rec.attrs,
        checksum_algorithm: rec.checksum_algorithm,
        checksum_full_object: rec.full_object,
    }
}

fn part_meta(part_number: u32, rec: &PartRec) -> PartMeta {
    PartMeta {
        part_number,
        size: rec.size,
        etag: hex::encode(rec.md5),
        last_modified: from_ns(rec.modified_ns),
        checksum: rec.checksum.as_deref().map(to_base64),
    }
}

/// Upload ids sort by creation time (16 hex digits of nanoseconds) and are unique (a
/// random UUID follows). They never contain NUL, as the uploads key encoding requires.
fn new_upload_id(initiated_ns: u64) -> String {
    format!("{initiated_ns:016x}{}", uuid::Uuid::new_v4().simple())
}

fn plausible_upload_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl Store {
    pub async fn create_upload(
        &self,
        bucket: &str,
        key: &str,
        owner: &str,
        attrs: ObjectAttrs,
        checksum: Option<UploadChecksum>,
    ) -> Result<Upload> {
        self.shared.check_writable()?;
        validate_key(key)?;
        let initiated_ns = now_ns();
        let upload_id = new_upload_id(initiated_ns);
        let rec = UploadRec {
            initiated_ns,
            owner: owner.to_owned(),
            attrs,
            checksum_algorithm: checksum.map(|c| c.algorithm),
            full_object: checksum.is_some_and(|c| c.full_object),
        };
        {
            let _gate = self.shared.bucket_gate_shared();
            self.shared
                .meta
                .insert_upload(bucket, key, &upload_id, &rec)?;
        }
        self.flush().await?;
        Ok(upload(bucket, key, &upload_id, rec))
    }

    /// NoSuchUpload unless `upload_id` is an upload of exactly `bucket/key`.
    pub fn get_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<Upload> {
        validate_key(key)?;
        if !plausible_upload_id(upload_id) {
            return Err(Error::NoSuchUpload);
        }
        match self.shared.meta.upload(bucket, key, upload_id)? {
            Some(rec) => Ok(upload(bucket, key, upload_id, rec)),
            None => {
                self.head_bucket(bucket)?;
                Err(Error::NoSuchUpload)
            }
        }
    }

    /// Stage `blob` as part `part_number` (1..=10000), replacing an earlier one.
    ///
    /// When the upload has a checksum algorithm, the part's checksum is taken from the blob;
    /// a blob written without that algorithm stages a part without a checksum, and the
    /// completed object then carries no composite checksum.
    pub async fn commit_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        blob: Blob,
    ) -> Result<PartMeta> {
        self.shared.check_writable()?;
        debug_assert!(
            blob.is_durable(),
            "step 6: a part is committed only once its blob is durable"
        );
        if !(1..=MAX_PART_NUMBER).contains(&part_number) {
            return Err(Error::InvalidArgument(format!(
                "part number must be an integer between 1 and {MAX_PART_NUMBER}"
            )));
        }
        let up = self.get_upload(bucket, key, upload_id)?;
        let rec = PartRec {
            size: blob.size(),
            md5: blob.md5(),
            modified_ns: now_ns(),
            checksum: up
                .checksum_algorithm
                .and_then(|a| blob.checksum(a))
                .map(<[u8]>::to_vec),
            blob: blob.id,
        };
        let old = {
            let _parts = self.shared.part_gate();
            self.shared
                .meta
                .put_part(bucket, key, upload_id, part_number, &rec)?
        };
        blob.committed();
        self.flush_then_delete(old.map(|p| p.blob)).await?;
        Ok(part_meta(part_number, &rec))
    }

    /// Parts with number > `marker`, at most `max_parts`.
    pub fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        marker: u32,
        max_parts: usize,
    ) -> Result<PartsPage> {
        self.get_upload(bucket, key, upload_id)?;
        let mut page = PartsPage::default();
        if max_parts == 0 {
            return Ok(page);
        }
        for row in self.shared.meta.parts_iter(upload_id, marker) {
            let (number, rec) = row?;
            if page.parts.len() == max_parts {
                page.is_truncated = true;
                page.next_part_number_marker = page.parts.last().map(|p| p.part_number);
                break;
            }
            page.parts.push(part_meta(number, &rec));
        }
        Ok(page)
    }

    pub async fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
        self.shared.check_writable()?;
        self.get_upload(bucket, key, upload_id)?;
        let released: Vec<BlobId> = {
            let _parts = self.shared.part_gate();
            let parts = self.shared.meta.parts(upload_id, 0)?;
            let numbers: Vec<u32> = parts.iter().map(|(n, _)| *n).collect();
            let blobs: Vec<BlobId> = parts.into_iter().map(|(_, p)| p.blob).collect();
            self.shared
                .meta
                .remove_upload(bucket, key, upload_id, &numbers, &blobs)?;
            blobs
        };
        self.flush_then_delete(released).await
    }

    /// Validate the part list (ascending -> InvalidPartOrder; known part with matching
    /// ETag -> InvalidPart; all but the last >= min_part_size -> EntityTooSmall), then commit
    /// the object atomically with the removal of the upload. Unlisted parts are deleted.
    ///
    /// ETag: `hex(md5(concat(binary part md5s)))-N`. Checksum, when the upload has an
    /// algorithm and every listed part carries it: COMPOSITE
    /// `base64(algo(concat(raw part checksums)))-N` for CRC32, CRC32C, SHA-1 and SHA-256.
    /// CRC64NVME exists only as a FULL_OBJECT checksum in S3; computing it would mean
    /// re-reading the whole object, so such objects carry no checksum (a known gap).
    pub async fn complete_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<ObjectMeta> {
        let always = CommitCondition::Always;
        self.complete_upload_if(bucket, key, upload_id, parts, always, &[])
            .await
    }

    /// [`Store::complete_upload`] only if `condition` holds for the key when the object is
    /// committed, and if the object's checksum is each of `claimed` (base64 values a client
    /// sent for the whole object; a composite `-N` suffix is not compared). When either
    /// fails, the upload stays as it was.
    pub async fn complete_upload_if(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
        condition: CommitCondition,
        claimed: &[(crate::ChecksumAlgorithm, String)],
    ) -> Result<ObjectMeta> {
        self.shared.check_writable()?;
        let up = match self.get_upload(bucket, key, upload_id) {
            Err(Error::NoSuchUpload) => return self.completed_upload(bucket, key, upload_id),
            other => other?,
        };
        if parts.is_empty() {
            return Err(Error::InvalidPart("the part list is empty".into()));
        }
        if parts
            .windows(2)
            .any(|w| w[1].part_number <= w[0].part_number)
        {
            return Err(Error::InvalidPartOrder);
        }
        let (rec, released) = {
            let _gate = self.shared.bucket_gate_shared();
            let _parts = self.shared.part_gate();
            let staged: BTreeMap<u32, PartRec> =
                self.shared.meta.parts(upload_id, 0)?.into_iter().collect();
            let mut chosen: Vec<&PartRec> = Vec::with_capacity(parts.len());
            for (i, p) in parts.iter().enumerate() {
                let Some(rec) = staged.get(&p.part_number) else {
                    return Err(Error::InvalidPart(format!(
                        "part {} was not uploaded",
                        p.part_number
                    )));
                };
                if parse_md5_etag(&p.etag) != Some(rec.md5) {
                    return Err(Error::InvalidPart(format!(
                        "part {}: the ETag does not match the uploaded part",
                        p.part_number
                    )));
                }
                if i + 1 < parts.len() && rec.size < self.shared.options.min_part_size {
                    return Err(Error::EntityTooSmall {
                        part_number: p.part_number,
                    });
                }
                chosen.push(rec);
            }
            let md5s: Vec<[u8; 16]> = chosen.iter().map(|p| p.md5).collect();
            // Every part carries the upload's checksum (UploadPart computes it), except
            // parts staged before an upgrade: then the object has none.
            let part_checksums: Option<Vec<&[u8]>> =
                chosen.iter().map(|p| p.checksum.as_deref()).collect();
            let checksums: Vec<StoredChecksum> = match (up.checksum_algorithm, &part_checksums) {
                (Some(a), Some(raw)) if up.checksum_full_object => {
                    let sized: Vec<(&[u8], u64)> =
                        raw.iter().zip(&chosen).map(|(c, p)| (*c, p.size)).collect();
                    crate::crc_combine::combine_parts(a, &sized)
                        .map(|whole| StoredChecksum {
                            algorithm: a,
                            value: crate::checksum::to_base64(&whole),
                            composite: false,
                        })
                        .into_iter()
                        .collect()
                }
                (Some(a), Some(raw)) => vec![StoredChecksum {
                    algorithm: a,
                    value: composite_checksum(a, raw),
                    composite: true,
                }],
                _ => Vec::new(),
            };
            let base = |v: &str| v.trim().split('-').next().unwrap_or_default().to_owned();
            for (algorithm, value) in claimed {
                let ours = checksums.iter().find(|c| c.algorithm == *algorithm);
                if ours.is_none_or(|c| base(&c.value) != base(value)) {
                    return Err(Error::ChecksumMismatch {
                        algorithm: *algorithm,
                    });
                }
            }
            let part_checksums: Vec<Vec<u8>> = match (&checksums[..], part_checksums) {
                ([_], Some(raw)) => raw.iter().map(|c| c.to_vec()).collect(),
                _ => Vec::new(),
            };
            let rec = ObjectRec {
                size: chosen.iter().map(|p| p.size).sum(),
                etag: multipart_etag(&md5s),
                modified_ns: now_ns(),
                attrs: up.attrs.clone(),
                checksums,
                blobs: chosen
                    .iter()
                    .map(|p| BlobRef {
                        id: p.blob,
                        size: p.size,
                    })
                    .collect(),
                multipart: true,
                version_id: None,
                seq: 0,
                upload_id: Some(upload_id.to_owned()),
                part_checksums,
                inline: false,
            };
            let listed: std::collections::HashSet<u32> =
                parts.iter().map(|p| p.part_number).collect();
            let content = NewContent::Completion {
                upload_id: upload_id.to_owned(),
                parts: staged.keys().copied().collect(),
                unlisted: staged
                    .iter()
                    .filter(|(n, _)| !listed.contains(n))
                    .map(|(_, p)| p.blob)
                    .collect(),
            };
            // The released blobs: the unlisted parts, and what the new version replaced.
            self.write_version(bucket, key, rec, condition, content)?
                .ok_or_else(|| {
                    Error::Meta("a completion's commit reported a lost fill race".into())
                })?
        };
        self.flush_then_delete(released).await?;
        Ok(object_meta(key.to_owned(), rec))
    }

    /// A completion retried after it succeeded (an SDK whose first answer was lost): the
    /// object it made, while it is still the key's current version; else NoSuchUpload.
    fn completed_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<ObjectMeta> {
        match self.shared.meta.object(bucket, key)? {
            Some((_, rec)) if rec.upload_id.as_deref() == Some(upload_id) => {
                Ok(object_meta(key.to_owned(), rec))
            }
            _ => Err(Error::NoSuchUpload),
        }
    }

    /// Sorted by key, then initiation time.
    pub fn list_uploads(&self, bucket: &str, query: &UploadQuery) -> Result<UploadsPage> {
        self.head_bucket(bucket)?;
        let mut page = UploadsPage::default();
        if query.max_uploads == 0 {
            return Ok(page);
        }
        let bucket_prefix = join_key(bucket, "");
        let prefix_key = join_key(bucket, &query.prefix);
        let delimiter = query.delimiter.as_deref().filter(|d| !d.is_empty());
        let start = match (&query.key_marker, &query.upload_id_marker) {
            (Some(k), Some(id)) if !id.is_empty() => Bound::Excluded(upload_key(bucket, k, id)),
            // A key marker alone skips every upload of that key.
            (Some(k), _) => past(&join_key(bucket, k)),
            (None, _) => Bound::Included(prefix_key.clone()),
        };
        let start = match &start {
            Bound::Included(s) | Bound::Excluded(s) if s.as_slice() < prefix_key.as_slice() => {
                Bound::Included(prefix_key.clone())
            }
            _ => start,
        };
        let mut rows = self.shared.meta.scan_uploads(start);
        let mut emitted = 0usize;
        let mut last: Option<(String, Option<String>)> = None;
        while let Some(row) = rows.next() {
            let (k, v) = row?;
            if !k.starts_with(&prefix_key) {
                break;
            }
            if emitted == query.max_uploads {
                page.is_truncated = true;
                break;
            }
            let (key, upload_id) = split_upload_key(&k[bucket_prefix.len()..])?;
            let rest = &key[query.prefix.len()..];
            if let Some(d) = delimiter {
                if let Some(pos) = rest.find(d) {
                    let cp = key[..query.prefix.len() + pos + d.len()].to_owned();
                    rows = self.shared.meta.scan_uploads(past(&join_key(bucket, &cp)));
                    page.common_prefixes.push(cp.clone());
                    last = Some((cp, None));
                    emitted += 1;
                    continue;
                }
            }
            let rec: UploadRec = decode_upload(&v)?;
            last = Some((key.clone(), Some(upload_id.clone())));
            page.uploads.push(upload(bucket, &key, &upload_id, rec));
            emitted += 1;
        }
        if page.is_truncated {
            if let Some((key, id)) = last {
                page.next_key_marker = Some(key);
                page.next_upload_id_marker = id;
            }
        }
        Ok(page)
    }

    /// Abort every upload initiated before `now - max_age`; returns how many.
    pub async fn expire_uploads(&self, max_age: Duration) -> Result<usize> {
        self.shared.check_writable()?;
        let cutoff = to_ns(std::time::SystemTime::now())
            .saturating_sub(u64::try_from(max_age.as_nanos()).unwrap_or(u64::MAX));
        let mut stale = Vec::new();
        for row in self.shared.meta.scan_uploads(Bound::Unbounded) {
            let (k, v) = row?;
            let rec: UploadRec = decode_upload(&v)?;
            if rec.initiated_ns < cutoff {
                let cut = k
                    .iter()
                    .position(|&b| b == 0)
                    .ok_or_else(|| Error::Corrupt("upload key".into()))?;
                let bucket = String::from_utf8(k[..cut].to_vec())
                    .map_err(|_| Error::Corrupt("upload key".into()))?;
                let (key, id) = split_upload_key(&k[cut + 1..])?;
                stale.push((bucket, key, id));
            }
        }
        let mut expired = 0;
        for (bucket, key, id) in stale {
            match self.abort_upload(&bucket, &key, &id).await {
                Ok(()) => expired += 1,
                Err(Error::NoSuchUpload) => {} // completed or aborted meanwhile
                Err(e) => return Err(e),
            }
        }
        if expired > 0 {
            tracing::info!(expired, "expired stale multipart uploads");
        }
        Ok(expired)
    }
}
