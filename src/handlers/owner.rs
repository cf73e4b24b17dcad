//! The `Owner` a listing shows for an object (ListObjects v1 and v2 with `fetch-owner`,
//! ListObjectVersions): the one its ACL names, else the bucket's owner.

use crate::access::Acl;
use crate::xml::Owner;

/// The `Owner` a listing shows for an object: the one its ACL names, else the bucket's.
pub fn listed_owner(attrs: &storage::ObjectAttrs, bucket_owner: &str) -> Owner {
    let owner = attrs
        .acl
        .as_deref()
        .and_then(|stored| Acl::decode(stored).ok())
        .map(|acl| acl.owner);
    match owner {
        Some(id) => Owner { id },
        None => Owner::new(bucket_owner),
    }
}
