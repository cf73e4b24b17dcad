//! Third-party clients as users run them: the aws CLI against `originstore serve`, SDKs and
//! boto3 with their default settings, and the s3-compat suite's matrix.

mod cli;
mod compat;
mod defaults;
