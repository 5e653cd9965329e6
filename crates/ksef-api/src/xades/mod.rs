//! XAdES authentication (KSEF-API.md §2.2 b): a certificate-holding [`Signer`] and the enveloped
//! XAdES-BASELINE-B signed `AuthTokenRequest` document.
//!
//! We build the XML ourselves, so the signed parts are emitted directly in their exclusive-c14n form:
//! no general canonicaliser is needed on the signing side, and the result verifies under real exc-c14n
//! implementations (cross-checked with `xmlsec1` in tests).

mod request;
mod signer;

pub use request::{signed_auth_request, AUTH_NAMESPACE};
pub use signer::{SignatureAlgorithm, Signer, SignerError};
