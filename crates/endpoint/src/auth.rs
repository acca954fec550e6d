//! Who is calling: the request's SigV4 signature verified against the access key it names. Nothing
//! is read or written for a request that does not pass.

use kube_ecs_sigv4 as sigv4;

use crate::Endpoint;
use crate::error::{EcsError, ErrorCode};
use crate::keys::AccessKey;

/// The request as the signature covers it.
pub struct Signed<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

fn error(e: &sigv4::Error) -> EcsError {
    EcsError::new(ErrorCode::parse(e.code()).unwrap_or(ErrorCode::InvalidSignatureException), e.message())
}

/// The access key that signed the request, once its signature, date and scope check out. `service`
/// is the SigV4 service name the credential must be scoped to (the target's: `ecs`, `ecr`,
/// `secretsmanager` or `ssm`), as a key signed for one service is not valid for another at AWS.
pub fn authenticate(endpoint: &Endpoint, request: &Signed<'_>, service: &str) -> Result<AccessKey, EcsError> {
    let request = sigv4::Request {
        method: request.method,
        path: request.path,
        query: request.query,
        headers: request.headers,
        body: request.body,
    };
    let signed = sigv4::parse(&request).map_err(|e| error(&e))?;
    // The checks that need no secret come first, as AWS's: an expired request is refused as such
    // whoever signed it.
    sigv4::check(&signed, jiff::Timestamp::now(), service).map_err(|e| error(&e))?;
    let key = endpoint.keys.lookup(&signed.credential.access_key_id).ok_or_else(|| {
        EcsError::new(ErrorCode::UnrecognizedClientException, "The security token included in the request is invalid.")
    })?;
    let verified = sigv4::verify(&signed, &request, &key.secret_access_key, jiff::Timestamp::now(), service)
        .map_err(|e| error(&e))?;
    if verified.region != endpoint.config.region {
        return Err(EcsError::new(
            ErrorCode::InvalidSignatureException,
            format!("Credential should be scoped to a valid region, not '{}'. ", verified.region),
        ));
    }
    Ok(key)
}
