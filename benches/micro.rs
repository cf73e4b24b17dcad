//! Criterion micro-benchmarks of the hot pieces of a request: SigV4 header verification,
//! aws-chunked decoding, routing, ListObjects XML serialisation, and the storage crate's
//! put / get / list. Kept short (small samples, 2 s measurements) so the suite finishes in
//! about a minute on a 2-core machine:
//!
//! ```sh
//! cargo bench --bench micro                 # everything
//! cargo bench --bench micro -- chunked      # a criterion name filter
//! ```
//!
//! Storage figures include what the write path promises: `sync_all`, rename, directory
//! fsync and a sled flush per put, on the disk holding the system temp directory.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use http::{HeaderMap, Method};
use originstore::auth::chunked::ChunkDecoder;
use originstore::auth::{sigv4, ChunkSigner};
use originstore::router::Operation;
use originstore::xml;

const ACCESS_KEY: &str = "BENCHACCESSKEY000001";
const SECRET_KEY: &str = "benchsecretkey/00000000000000000000001";

#[path = "../tests/support/pattern.rs"]
mod pattern_source;
use pattern_source::pattern;

// ---------------------------------------------------------------- auth

/// A PutObject head as an SDK signs it (UNSIGNED-PAYLOAD, a few extra signed headers).
fn signed_parts() -> http::request::Parts {
    let url = "http://127.0.0.1:9000/photos/2024/06/holiday%20pics/IMG_0001.jpg?x-id=PutObject";
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "image/jpeg".parse().expect("header"));
    headers.insert("x-amz-meta-camera", "x100v".parse().expect("header"));
    headers.insert("x-amz-storage-class", "STANDARD".parse().expect("header"));
    originstore::origin::sign::sign_origin_request(
        &Method::PUT,
        url,
        &mut headers,
        &originstore::origin::sign::SigningKeys {
            region: "us-east-1",
            access_key: ACCESS_KEY,
            secret_key: SECRET_KEY,
        },
        time::OffsetDateTime::now_utc(),
    )
    .expect("sign");
    let mut builder = http::Request::builder().method(Method::PUT).uri(url);
    for (name, value) in &headers {
        builder = builder.header(name, value);
    }
    builder.body(()).expect("request").into_parts().0
}

fn bench_sigv4(c: &mut Criterion) {
    let parts = signed_parts();
    let secret_for = |key: &str| (key == ACCESS_KEY).then(|| SECRET_KEY.to_owned());
    let now = SystemTime::now();
    originstore::auth::verify_request(&parts, &secret_for, now).expect("the request verifies");
    c.bench_function("sigv4/verify_header_put", |b| {
        b.iter(|| originstore::auth::verify_request(black_box(&parts), &secret_for, now))
    });
}

// ---------------------------------------------------------------- aws-chunked

fn example_signer() -> ChunkSigner {
    let key = sigv4::signing_key(SECRET_KEY, "20240601", "us-east-1", "s3");
    ChunkSigner::new(
        key,
        "20240601T000000Z".to_owned(),
        "20240601/us-east-1/s3/aws4_request".to_owned(),
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9".to_owned(),
    )
}

/// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: `data` in signed chunks of `chunk` bytes.
fn signed_body(data: &[u8], chunk: usize) -> Vec<u8> {
    let mut signer = example_signer();
    let mut out = Vec::with_capacity(data.len() + data.len() / chunk * 100 + 200);
    let mut sign = |piece: &[u8], out: &mut Vec<u8>| {
        let hash = sigv4::sha256(piece);
        let signature = signer.expected_chunk_signature(&hash);
        signer.verify_chunk(&hash, &signature).expect("chain");
        out.extend_from_slice(
            format!("{:x};chunk-signature={signature}\r\n", piece.len()).as_bytes(),
        );
        if !piece.is_empty() {
            out.extend_from_slice(piece);
            out.extend_from_slice(b"\r\n");
        }
    };
    for piece in data.chunks(chunk) {
        sign(piece, &mut out);
    }
    sign(b"", &mut out);
    out.extend_from_slice(b"\r\n");
    out
}

/// `STREAMING-UNSIGNED-PAYLOAD-TRAILER` with a CRC32 trailer, as current SDKs send by default.
fn unsigned_trailer_body(data: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / chunk * 10 + 100);
    for piece in data.chunks(chunk) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
    out
}

/// Feeds `wire` to `decoder` in `frame`-byte pieces (as hyper hands over body frames) and
/// returns the decoded length.
fn decode(mut decoder: ChunkDecoder, wire: &Bytes, frame: usize) -> usize {
    let mut total = 0;
    let mut offset = 0;
    while offset < wire.len() {
        let end = (offset + frame).min(wire.len());
        let mut piece = wire.slice(offset..end);
        offset = end;
        while let Some(data) = decoder.decode(&mut piece).expect("valid body") {
            total += data.len();
        }
    }
    decoder.finish().expect("complete body");
    total
}

fn bench_chunked(c: &mut Criterion) {
    const SIZE: usize = 16 * 1024 * 1024;
    const FRAME: usize = 16 * 1024;
    let data = pattern(SIZE, 5);
    let signed = Bytes::from(signed_body(&data, 64 * 1024));
    let unsigned = Bytes::from(unsigned_trailer_body(&data, 64 * 1024));
    drop(data);

    let mut group = c.benchmark_group("chunked_16MiB");
    group.throughput(Throughput::Bytes(SIZE as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("signed_64KiB_chunks", |b| {
        b.iter(|| {
            let decoder = ChunkDecoder::new(Some(example_signer()), false, Some(SIZE as u64));
            assert_eq!(decode(decoder, &signed, FRAME), SIZE);
        })
    });
    group.bench_function("unsigned_trailer_64KiB_chunks", |b| {
        b.iter(|| {
            let decoder = ChunkDecoder::new(None, true, Some(SIZE as u64));
            assert_eq!(decode(decoder, &unsigned, FRAME), SIZE);
        })
    });
    group.finish();
}

// ---------------------------------------------------------------- router

fn bench_router(c: &mut Criterion) {
    let empty = HeaderMap::new();
    let mut copy = HeaderMap::new();
    copy.insert("x-amz-copy-source", "/src/a.txt".parse().expect("header"));
    let cases: [(&str, Method, &str, Option<&str>, &HeaderMap); 4] = [
        (
            "get_object",
            Method::GET,
            "/photos/2024/IMG_0001.jpg",
            None,
            &empty,
        ),
        (
            "list_objects_v2",
            Method::GET,
            "/photos",
            Some("list-type=2&prefix=2024%2F&delimiter=%2F&max-keys=1000"),
            &empty,
        ),
        (
            "upload_part",
            Method::PUT,
            "/photos/big.iso",
            Some("partNumber=7&uploadId=0b7f2c6e-5f9a-4b1e-9a51-3c0d2f6a8e11"),
            &empty,
        ),
        ("copy_object", Method::PUT, "/photos/b.txt", None, &copy),
    ];
    let mut group = c.benchmark_group("router");
    for (name, method, path, query, headers) in cases {
        Operation::from_parts(&method, Some("127.0.0.1:9000"), path, query, headers, None)
            .expect("routes");
        group.bench_function(name, |b| {
            b.iter(|| {
                Operation::from_parts(
                    black_box(&method),
                    Some("127.0.0.1:9000"),
                    black_box(path),
                    query,
                    headers,
                    None,
                )
            })
        });
    }
    group.finish();
}

// ---------------------------------------------------------------- XML

fn bench_list_xml(c: &mut Criterion) {
    let modified = xml::timestamp(SystemTime::now());
    let contents: Vec<xml::ListEntry> = (0..1000)
        .map(|i| xml::ListEntry {
            key: format!("photos/2024/06/holiday/IMG_{i:05}.jpg"),
            last_modified: modified.clone(),
            etag: "\"9b2cf535f27731c974343645a3985328\"".to_owned(),
            size: 4096 + i,
            owner: None,
            storage_class: "STANDARD".into(),
        })
        .collect();
    let doc = xml::ListBucketResult {
        name: "photos".to_owned(),
        prefix: "photos/".to_owned(),
        key_count: Some(1000),
        max_keys: 1000,
        is_truncated: true,
        next_continuation_token: Some("cGhvdG9zLzIwMjQvMDYvaG9saWRheS9JTUdfMDA5OTkuanBn".into()),
        contents,
        ..Default::default()
    };
    let len = xml::to_xml(&doc).len();
    let mut group = c.benchmark_group("xml");
    group.throughput(Throughput::Elements(1000));
    group.sample_size(20);
    group.bench_function(format!("list_v2_1000_entries_{}KiB", len / 1024), |b| {
        b.iter(|| xml::to_xml(black_box(&doc)))
    });
    group.finish();
}

// ---------------------------------------------------------------- storage

fn bench_storage(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        storage::Store::open(dir.path(), storage::StoreOptions::default()).expect("open store");
    let body = Bytes::from(pattern(4096, 3));
    let put = |store: &storage::Store, key: String, body: Bytes| {
        let store = store.clone();
        async move {
            store
                .put_object(
                    "bench",
                    &key,
                    storage::ObjectAttrs::default(),
                    futures::stream::iter([Ok(body)]),
                    &storage::Expect::default(),
                )
                .await
                .expect("put")
        }
    };
    rt.block_on(async {
        store
            .create_bucket("bench", ACCESS_KEY, "us-east-1")
            .await
            .expect("bucket");
        // 10k keys for listing, written 64 at a time (each put fsyncs).
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..10_000u32 {
            if tasks.len() == 64 {
                tasks.join_next().await.expect("task").expect("put task");
            }
            tasks.spawn(put(&store, format!("list/{i:06}"), body.clone()));
        }
        while let Some(done) = tasks.join_next().await {
            done.expect("put task");
        }
    });

    let mut group = c.benchmark_group("storage");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(1));
    let mut n = 0u64;
    group.bench_function("put_4KiB_durable", |b| {
        b.iter(|| {
            n += 1;
            rt.block_on(put(&store, format!("put/{n}"), body.clone()))
        })
    });
    group.bench_function("get_4KiB", |b| {
        let mut i = 0u32;
        b.iter(|| {
            i = (i + 1) % 10_000;
            rt.block_on(async {
                let (meta, reader) = store
                    .get_object("bench", &format!("list/{i:06}"), None)
                    .expect("get");
                let chunks: Vec<std::io::Result<Bytes>> = futures::StreamExt::collect(reader).await;
                assert_eq!(meta.size, 4096);
                chunks.len()
            })
        })
    });
    group.throughput(Throughput::Elements(1000));
    group.bench_function("list_page_1000_of_10k", |b| {
        let mut page = 0u32;
        b.iter_batched(
            || {
                page = (page + 1) % 10;
                storage::ListQuery {
                    prefix: "list/".to_owned(),
                    delimiter: None,
                    after: (page > 0).then(|| format!("list/{:06}", page * 1000 - 1)),
                    max_keys: 1000,
                }
            },
            |query| {
                let listed = store.list_objects("bench", &query).expect("list");
                assert_eq!(listed.objects.len(), 1000);
                listed
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// Short runs: 1 s warm-up and 2 s of measurement per benchmark unless a group says otherwise.
fn short() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = short();
    targets = bench_sigv4, bench_chunked, bench_router, bench_list_xml, bench_storage
}
criterion_main!(benches);
