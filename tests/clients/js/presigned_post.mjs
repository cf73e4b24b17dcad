// Print, as JSON, what the AWS SDK for JavaScript v3's createPresignedPost gives a web page
// for BUCKET and KEY: {"url": ..., "fields": {...}}. The test posts that form unchanged.
//
// Usage: node presigned_post.mjs ENDPOINT BUCKET KEY [CONDITIONS_JSON [FIELDS_JSON]]
// Credentials come from the AWS_* environment. Run by tests/api/post_object.rs.
import { S3Client } from "@aws-sdk/client-s3";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";

const [endpoint, bucket, key, conditions, fields] = process.argv.slice(2);
const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true });
const post = await createPresignedPost(client, {
  Bucket: bucket,
  Key: key,
  Conditions: conditions ? JSON.parse(conditions) : undefined,
  Fields: fields ? JSON.parse(fields) : undefined,
  Expires: 600,
});
console.log(JSON.stringify(post));
