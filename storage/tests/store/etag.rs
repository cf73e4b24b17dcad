//! Property: a completed multipart upload's ETag is S3's formula
//! `hex(md5(concat(binary part md5s)))-N`, and its COMPOSITE CRC32C checksum is
//! `base64(crc32c(concat(raw part crc32cs)))-N`, for random part counts and sizes
//! (including parts listed out of upload order and unlisted parts), and the object reads
//! back as the listed parts concatenated. Both formulas are computed here, independently of
//! the crate's own helpers. Small parts: `small_options()` sets a 1 KiB minimum.

use base64::Engine as _;
use md5::Digest as _;
use proptest::prelude::*;
use storage::{ChecksumAlgorithm, Checksummer, CompletedPart, Expect, ObjectAttrs};

use super::{content, get, open};

fn expected_etag(parts: &[Vec<u8>]) -> String {
    let mut cat = Vec::new();
    for p in parts {
        cat.extend_from_slice(&md5::Md5::digest(p));
    }
    format!("{}-{}", hex::encode(md5::Md5::digest(&cat)), parts.len())
}

fn expected_crc32c(parts: &[Vec<u8>]) -> String {
    let mut cat = Vec::new();
    for p in parts {
        cat.extend_from_slice(&crc32c::crc32c(p).to_be_bytes());
    }
    format!(
        "{}-{}",
        base64::engine::general_purpose::STANDARD.encode(crc32c::crc32c(&cat).to_be_bytes()),
        parts.len()
    )
}

/// Upload `sizes.len()` parts (uploaded last to first), complete with those whose `keep`
/// flag is set (the last part always kept), and check ETag, checksum and content.
async fn run(sizes: Vec<(usize, bool)>) {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    s.create_bucket("bkt", "me", "r").await.unwrap();
    let up = s
        .create_upload(
            "bkt",
            "k",
            "me",
            ObjectAttrs::default(),
            Some(ChecksumAlgorithm::Crc32c.into()),
        )
        .await
        .unwrap();
    let data: Vec<Vec<u8>> = sizes
        .iter()
        .enumerate()
        .map(|(i, (size, _))| content(i as u64 + 1, *size))
        .collect();
    let mut done = Vec::new();
    for (i, d) in data.iter().enumerate().rev() {
        let mut w = s.blob_writer(&[ChecksumAlgorithm::Crc32c]).unwrap();
        w.write(d).await.unwrap();
        let blob = w.finish(&Expect::default()).await.unwrap();
        let p = s
            .commit_part("bkt", "k", &up.upload_id, i as u32 + 1, blob)
            .await
            .unwrap();
        assert_eq!(
            p.checksum.as_deref(),
            Some(
                base64::engine::general_purpose::STANDARD
                    .encode(Checksummer::digest(ChecksumAlgorithm::Crc32c, d))
                    .as_str()
            )
        );
        done.push(CompletedPart {
            part_number: p.part_number,
            etag: format!("\"{}\"", p.etag),
        });
    }
    done.reverse();
    let last = sizes.len() - 1;
    let keep = |i: usize| sizes[i].1 || i == last;
    let listed: Vec<CompletedPart> = done
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, p)| p)
        .collect();
    let kept: Vec<Vec<u8>> = data
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, d)| d)
        .collect();
    let meta = s
        .complete_upload("bkt", "k", &up.upload_id, &listed)
        .await
        .unwrap();
    assert_eq!(meta.etag, expected_etag(&kept));
    assert_eq!(meta.checksums.len(), 1);
    assert!(meta.checksums[0].composite);
    assert_eq!(meta.checksums[0].value, expected_crc32c(&kept));
    assert_eq!(
        meta.part_sizes,
        kept.iter().map(|p| p.len() as u64).collect::<Vec<_>>()
    );
    assert!(get(&s, "bkt", "k").await.unwrap() == kept.concat());
    // Unlisted parts were released with the upload: one blob per kept part remains.
    assert_eq!(super::blob_files(dir.path()).len(), kept.len());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 100, ..ProptestConfig::default() })]

    #[test]
    fn multipart_etag_is_the_s3_formula(
        // Every part but the last must be >= 1 KiB (small_options); the last may be empty.
        mut sizes in proptest::collection::vec((1024usize..6000, proptest::bool::weighted(0.8)), 1..12),
        last in 0usize..3000,
    ) {
        if let Some(l) = sizes.last_mut() {
            l.0 = last;
        }
        super::rt().block_on(run(sizes));
    }
}
