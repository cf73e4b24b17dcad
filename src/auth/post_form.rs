//! The signature of a browser form upload (POST object): the form's `policy` field, as sent
//! (base64), signed with SigV4 (`x-amz-algorithm`, `x-amz-credential`, `x-amz-date`,
//! `x-amz-signature`) or with the older SigV2 (`AWSAccessKeyId`, `signature`). Here only
//! *who* signed it is decided; the policy's conditions are checked by
//! [`crate::post_policy`].
//!
//! - <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-authentication-HTTPPOST.html>
//! - <https://docs.aws.amazon.com/AmazonS3/latest/userguide/HTTPPOSTForms.html> (SigV2)

use super::sigv4::{self, constant_time_eq};
use super::{sigv2, AuthError};

/// The signature fields of a form, by their (case-insensitive) names.
pub enum FormSignature<'a> {
    V4 {
        algorithm: &'a str,
        credential: &'a str,
        date: &'a str,
        signature: &'a str,
    },
    V2 {
        access_key: &'a str,
        signature: &'a str,
    },
}

/// The access key that signed `policy` (the base64 text of the form's `policy` field).
pub fn verify(
    policy: &str,
    signature: &FormSignature<'_>,
    secret_for: &dyn Fn(&str) -> Option<String>,
) -> Result<String, AuthError> {
    match *signature {
        FormSignature::V4 {
            algorithm,
            credential,
            date,
            signature,
        } => {
            if algorithm != sigv4::ALGORITHM {
                return Err(AuthError::InvalidRequest(format!(
                    "the x-amz-algorithm {algorithm} is not supported; use {}",
                    sigv4::ALGORITHM
                )));
            }
            let credential = sigv4::parse_credential(credential)
                .map_err(|why| AuthError::InvalidRequest(format!("x-amz-credential: {why}")))?;
            if !date.starts_with(&credential.date) {
                return Err(AuthError::InvalidRequest(
                    "the x-amz-date does not match the date of the x-amz-credential".into(),
                ));
            }
            let secret = secret_for(&credential.access_key).ok_or(AuthError::InvalidAccessKeyId)?;
            let key = sigv4::signing_key(
                &secret,
                &credential.date,
                &credential.region,
                &credential.service,
            );
            let expected = hex::encode(sigv4::hmac_sha256(&key, policy.as_bytes()));
            if constant_time_eq(
                expected.as_bytes(),
                signature.to_ascii_lowercase().as_bytes(),
            ) {
                Ok(credential.access_key)
            } else {
                Err(AuthError::SignatureDoesNotMatch)
            }
        }
        FormSignature::V2 {
            access_key,
            signature,
        } => {
            let secret = secret_for(access_key).ok_or(AuthError::InvalidAccessKeyId)?;
            let expected = sigv2::sign(&secret, policy);
            if constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
                Ok(access_key.to_owned())
            } else {
                Err(AuthError::SignatureDoesNotMatch)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The worked example of the AWS documentation (sigv4-post-example.html).
    const POLICY: &str = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn secret_for(ak: &str) -> Option<String> {
        (ak == "AKIAIOSFODNN7EXAMPLE").then(|| SECRET.to_owned())
    }

    #[test]
    fn the_aws_example_verifies() {
        let signature = FormSignature::V4 {
            algorithm: "AWS4-HMAC-SHA256",
            credential: "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
            date: "20151229T000000Z",
            signature: "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e",
        };
        assert_eq!(
            verify(POLICY, &signature, &secret_for).as_deref(),
            Ok("AKIAIOSFODNN7EXAMPLE")
        );
        let tampered = format!("{POLICY}x");
        assert_eq!(
            verify(&tampered, &signature, &secret_for),
            Err(AuthError::SignatureDoesNotMatch)
        );
    }

    #[test]
    fn sigv2_signs_the_policy_with_hmac_sha1() {
        let signature = sigv2::sign(SECRET, POLICY);
        let form = FormSignature::V2 {
            access_key: "AKIAIOSFODNN7EXAMPLE",
            signature: &signature,
        };
        assert!(verify(POLICY, &form, &secret_for).is_ok());
        let unknown = FormSignature::V2 {
            access_key: "NOPE",
            signature: &signature,
        };
        assert_eq!(
            verify(POLICY, &unknown, &secret_for),
            Err(AuthError::InvalidAccessKeyId)
        );
    }
}
