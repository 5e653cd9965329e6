//! XAdES authentication documents (`POST /auth/xades-signature`, KSEF-API.md §2.2 b): a small XML tree,
//! exclusive canonicalisation over it, and the signature check that yields who signed for what.

mod c14n;
mod tree;
mod verify;

pub use verify::{verify_auth_request, Identity, SignedAuthRequest, XadesError};
