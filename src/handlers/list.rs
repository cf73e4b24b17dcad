//! Listing: ListObjects (v1) and ListObjectsV2 (current versions: one storage range scan,
//! [`storage::ListQuery`], differing only in how the resume point is spelled and in the
//! XML), and ListObjectVersions (every version and delete marker, [`storage::VersionQuery`]).

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;
use storage::{ListPage, ListQuery, VersionQuery};

use super::headers::{quoted_etag, storage_class_name};
use super::owner::listed_owner;
use super::reply::xml_response;
use super::token::{decode_token, encode_token};
use crate::error::S3Error;
use crate::router::{ListCommon, ListObjectVersionsParams, ListObjectsParams, ListObjectsV2Params};
use crate::state::AppState;
use crate::xml;

/// `encoding-type=url`: keys may hold characters XML 1.0 cannot carry.
fn encoder(url_encode: bool) -> impl Fn(&str) -> String {
    move |s: &str| {
        if url_encode {
            // Every byte but the unreserved ones and '/' is percent-encoded, as AWS does.
            percent_encoding::utf8_percent_encode(s, crate::auth::sigv4::URI_ENCODE_PATH)
                .to_string()
        } else {
            s.to_owned()
        }
    }
}

/// One page of the bucket's range scan, run on the blocking pool: a page of 1000 keys is
/// ~0.6 ms of sled work that would otherwise hold one of the runtime's few workers. In a
/// bucket with list-through origin rules, the page merges the origins' keys in.
async fn scan(
    state: &AppState,
    bucket: &str,
    c: &ListCommon,
    after: Option<String>,
) -> Result<ListPage, S3Error> {
    let store = state.store.clone();
    let query = ListQuery {
        prefix: c.prefix.clone(),
        delimiter: c.delimiter.clone(),
        after,
        max_keys: c.max_keys,
    };
    // A bucket whose origin rules say ListThrough lists the origin's keys too.
    if let Some(page) = state.origin.list_through(bucket, &query).await? {
        return Ok(page);
    }
    let bucket = bucket.to_owned();
    let page = tokio::task::spawn_blocking(move || store.list_objects(&bucket, &query))
        .await
        .map_err(S3Error::internal)??;
    Ok(page)
}

/// The part of a ListObjects (v1 or v2) answer both versions share.
fn list_result(
    bucket: &str,
    c: &ListCommon,
    page: &ListPage,
    enc: &impl Fn(&str) -> String,
    owner: Option<&str>,
) -> xml::ListBucketResult {
    let contents = page
        .objects
        .iter()
        .map(|o| xml::ListEntry {
            key: enc(&o.key),
            last_modified: xml::timestamp(o.last_modified),
            etag: quoted_etag(&o.etag),
            size: o.size,
            owner: owner.map(|bucket_owner| listed_owner(&o.attrs, bucket_owner)),
            storage_class: storage_class_name(&o.attrs),
        })
        .collect();
    xml::ListBucketResult {
        name: bucket.to_owned(),
        prefix: enc(&c.prefix),
        max_keys: c.max_keys,
        delimiter: c.delimiter.as_deref().map(enc),
        encoding_type: c.url_encode.then_some("url"),
        is_truncated: page.is_truncated,
        contents,
        common_prefixes: prefixes(page, enc),
        ..Default::default()
    }
}

fn prefixes(page: &ListPage, enc: &impl Fn(&str) -> String) -> Vec<xml::CommonPrefix> {
    page.common_prefixes
        .iter()
        .map(|p| xml::CommonPrefix { prefix: enc(p) })
        .collect()
}

pub async fn handle_list_objects(
    state: &Arc<AppState>,
    bucket: &str,
    params: ListObjectsParams,
) -> Result<Response, S3Error> {
    let ListObjectsParams { common: c, marker } = params;
    let page = scan(state, bucket, &c, marker.clone()).await?;
    let enc = encoder(c.url_encode);
    let owner = state.store.head_bucket(bucket)?.owner;
    let base = list_result(bucket, &c, &page, &enc, Some(&owner));
    // NextMarker is only returned with a delimiter; without one, clients resume from the
    // last key (AWS ListObjects reference).
    let next_marker = if page.is_truncated && c.delimiter.is_some() {
        page.next_after.as_deref().map(&enc)
    } else {
        None
    };
    xml_response(
        StatusCode::OK,
        &xml::ListBucketResult {
            // v1 echoes Prefix as sent even under encoding-type=url (moto does the same,
            // and botocore, which decodes Marker, NextMarker, Delimiter and keys, leaves
            // it as it comes): an encoded one would reach boto3 users still encoded.
            prefix: c.prefix.clone(),
            marker: Some(marker.as_deref().map(&enc).unwrap_or_default()),
            next_marker,
            ..base
        },
    )
}

pub async fn handle_list_objects_v2(
    state: &Arc<AppState>,
    bucket: &str,
    params: ListObjectsV2Params,
) -> Result<Response, S3Error> {
    let ListObjectsV2Params {
        common: c,
        continuation_token: token,
        start_after,
        fetch_owner,
    } = params;
    let after = match &token {
        Some(t) => Some(decode_token(t)?),
        None => start_after.clone(),
    };
    let page = scan(state, bucket, &c, after).await?;
    let enc = encoder(c.url_encode);
    let owner = if fetch_owner {
        Some(state.store.head_bucket(bucket)?.owner)
    } else {
        None
    };
    let base = list_result(bucket, &c, &page, &enc, owner.as_deref());
    let next_token = if page.is_truncated {
        page.next_after.as_deref().map(encode_token)
    } else {
        None
    };
    xml_response(
        StatusCode::OK,
        &xml::ListBucketResult {
            start_after: start_after.as_deref().map(&enc),
            continuation_token: token,
            next_continuation_token: next_token,
            key_count: Some(base.contents.len() + base.common_prefixes.len()),
            ..base
        },
    )
}

pub async fn handle_list_object_versions(
    state: &Arc<AppState>,
    bucket: &str,
    params: ListObjectVersionsParams,
) -> Result<Response, S3Error> {
    let ListObjectVersionsParams {
        common: c,
        key_marker,
        version_id_marker,
    } = params;
    let query = VersionQuery {
        prefix: c.prefix.clone(),
        delimiter: c.delimiter.clone(),
        key_marker: key_marker.clone(),
        version_id_marker: Some(version_id_marker.clone()).filter(|v| !v.is_empty()),
        max_keys: c.max_keys,
    };
    let store = state.store.clone();
    let owned_bucket = bucket.to_owned();
    let page = tokio::task::spawn_blocking(move || store.list_versions(&owned_bucket, &query))
        .await
        .map_err(S3Error::internal)??;
    let enc = encoder(c.url_encode);
    let bucket_owner = state.store.head_bucket(bucket)?.owner;
    let entries = page
        .versions
        .iter()
        .map(|v| {
            let version_id = v.version_id.clone().unwrap_or_else(|| "null".into());
            let last_modified = xml::timestamp(v.last_modified);
            match &v.object {
                Some(o) => xml::VersionListEntry::Version(xml::VersionEntry {
                    key: enc(&v.key),
                    version_id,
                    is_latest: v.is_latest,
                    last_modified,
                    etag: quoted_etag(&o.etag),
                    size: o.size,
                    owner: listed_owner(&o.attrs, &bucket_owner),
                    storage_class: storage_class_name(&o.attrs),
                }),
                None => xml::VersionListEntry::DeleteMarker(xml::DeleteMarkerEntry {
                    key: enc(&v.key),
                    version_id,
                    is_latest: v.is_latest,
                    last_modified,
                    owner: xml::Owner::new(&bucket_owner),
                }),
            }
        })
        .collect();
    xml_response(
        StatusCode::OK,
        &xml::ListVersionsResult {
            name: bucket.to_owned(),
            prefix: enc(&c.prefix),
            key_marker: key_marker.as_deref().map(&enc).unwrap_or_default(),
            version_id_marker,
            next_key_marker: page.next_key_marker.as_deref().map(&enc),
            next_version_id_marker: page.next_version_id_marker.clone(),
            max_keys: c.max_keys,
            delimiter: c.delimiter.as_deref().map(&enc),
            encoding_type: c.url_encode.then_some("url"),
            is_truncated: page.is_truncated,
            entries,
            common_prefixes: page
                .common_prefixes
                .iter()
                .map(|p| xml::CommonPrefix { prefix: enc(p) })
                .collect(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_keeps_slashes() {
        let enc = encoder(true);
        assert_eq!(enc("a b/c+d%é"), "a%20b/c%2Bd%25%C3%A9");
        assert_eq!(encoder(false)("a b"), "a b");
    }
}
