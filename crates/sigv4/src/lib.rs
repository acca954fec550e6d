//! AWS Signature Version 4 verification: the canonical request, the string to sign and the signing
//! key, computed from the request as received and compared with the client's signature.
