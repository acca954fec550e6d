//! Why a request is refused, as the AWS error type and message the endpoint answers with.

use std::fmt;

use jiff::Timestamp;

use crate::{MAX_CLOCK_SKEW, format_request_date};

/// Why a request's signature is refused. [`Error::code`] is the AWS error type (the JSON
/// protocol's `__type`) and [`Error::message`] AWS's wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// No `Authorization` header, or one of another scheme (`Basic`, `Bearer`, ...).
    Missing,
    /// The `Authorization` header or the headers it relies on are not well formed: a missing
    /// parameter, a credential without five parts, an unsigned `host`, a bad date, ...
    Malformed(String),
    /// The access key is not known. [`crate::verify`] never returns it: the server does, when its
    /// lookup of [`Credential::access_key_id`](crate::Credential) finds nothing.
    UnrecognizedClient,
    /// The signature is not the one the secret gives for this request. The canonical request
    /// and string to sign computed here are kept for the server's log (AWS echoes them to the
    /// client for some services; [`Error::message`] does not).
    SignatureMismatch { canonical_request: String, string_to_sign: String },
    /// The request date is more than [`MAX_CLOCK_SKEW`] before or after `now`.
    Expired { request_time: Timestamp, now: Timestamp },
    /// The credential is scoped to another service.
    WrongService { expected: String, got: String },
    /// The credential is scoped to another region (see [`crate::Verified::check_region`]).
    WrongRegion { got: String },
    /// The credential scope does not end with `aws4_request`.
    WrongTerminator { got: String },
    /// The credential's date is not the day of the request date.
    ScopeMismatch { scope_date: String, request_date: String },
    /// `x-amz-content-sha256` is not the SHA-256 of the body received.
    ContentSha256Mismatch,
}

impl Error {
    /// The AWS error type.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Missing => "MissingAuthenticationTokenException",
            Error::Malformed(_) => "IncompleteSignatureException",
            Error::UnrecognizedClient => "UnrecognizedClientException",
            Error::SignatureMismatch { .. }
            | Error::Expired { .. }
            | Error::WrongService { .. }
            | Error::WrongRegion { .. }
            | Error::WrongTerminator { .. }
            | Error::ScopeMismatch { .. }
            | Error::ContentSha256Mismatch => "InvalidSignatureException",
        }
    }

    /// The message, in AWS's words where AWS's are known.
    pub fn message(&self) -> String {
        match self {
            Error::Missing => "Missing Authentication Token".to_string(),
            Error::Malformed(message) => message.clone(),
            Error::UnrecognizedClient => "The security token included in the request is invalid.".to_string(),
            Error::SignatureMismatch { .. } => "The request signature we calculated does not match the signature \
                 you provided. Check your AWS Secret Access Key and signing method. Consult the \
                 service documentation for details."
                .to_string(),
            Error::Expired { request_time, now } => {
                let minutes = MAX_CLOCK_SKEW.as_secs() / 60;
                if request_time < now {
                    format!(
                        "Signature expired: {} is now earlier than {} ({} - {minutes} min.)",
                        format_request_date(*request_time),
                        format_request_date(now.checked_sub(MAX_CLOCK_SKEW).unwrap_or(Timestamp::MIN)),
                        format_request_date(*now),
                    )
                } else {
                    format!(
                        "Signature not yet current: {} is still later than {} ({} + {minutes} min.)",
                        format_request_date(*request_time),
                        format_request_date(now.checked_add(MAX_CLOCK_SKEW).unwrap_or(Timestamp::MAX)),
                        format_request_date(*now),
                    )
                }
            }
            Error::WrongService { expected, .. } => {
                format!("Credential should be scoped to correct service: '{expected}'.")
            }
            Error::WrongRegion { got } => format!("Credential should be scoped to a valid region, not '{got}'."),
            Error::WrongTerminator { got } => {
                format!("Credential should be scoped with a valid terminator: 'aws4_request', not '{got}'.")
            }
            Error::ScopeMismatch { scope_date, request_date } => format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
                 HTTP: '{scope_date}' != '{}', from '{request_date}'.",
                request_date.get(..8).unwrap_or(request_date)
            ),
            Error::ContentSha256Mismatch => {
                "The provided 'x-amz-content-sha256' header does not match what was computed.".to_string()
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for Error {}
