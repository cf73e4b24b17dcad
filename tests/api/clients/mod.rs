//! Third-party clients as users run them: the aws CLI against `originstore serve`, SDKs and
//! boto3 with their default settings, the s3-compat suite's matrix, and both over HTTPS.

mod cli;
mod compat;
mod defaults;
mod tls;
