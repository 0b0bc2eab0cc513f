//! ECDSA-NIST256P-CHALLENGE, the key-based mechanism of Atheme services.
//!
//! 1. The client sends its account name.
//! 2. The server answers with a random challenge (32 bytes).
//! 3. The client signs the challenge with its P-256 private key and sends
//!    the DER-encoded signature. The challenge is signed as it stands, as a
//!    ready digest (it is not hashed again), which is what the services
//!    verify.
//!
//! The public key is registered with services beforehand (for Atheme:
//! `/msg NickServ SET PUBKEY <key>`).

use std::fmt;
use std::path::Path;

use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::DecodePrivateKey;

/// The length of the server challenge: a SHA-256-sized random string. Any
/// other length is refused, so a server cannot have arbitrary data signed.
pub const CHALLENGE_LEN: usize = 32;

/// Why a key could not be loaded or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EcdsaKeyError {
    /// The key file could not be read.
    #[error("cannot read the key file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The text is neither a PKCS#8 `PRIVATE KEY` nor a SEC1 `EC PRIVATE
    /// KEY` PEM document holding a P-256 key.
    #[error("not a P-256 private key in PEM (PKCS#8 or SEC1)")]
    InvalidPem,
    /// The challenge is not [`CHALLENGE_LEN`] bytes long.
    #[error("refusing to sign a challenge of {len} bytes (expected {CHALLENGE_LEN})")]
    BadChallenge {
        /// The length of the challenge.
        len: usize,
    },
}

/// A P-256 private key for ECDSA-NIST256P-CHALLENGE.
#[derive(Clone)]
pub struct EcdsaKey {
    /// The key; never printed.
    key: SigningKey,
}

impl fmt::Debug for EcdsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcdsaKey").finish_non_exhaustive()
    }
}

impl EcdsaKey {
    /// Reads a key from PEM text: PKCS#8 (`-----BEGIN PRIVATE KEY-----`) or
    /// SEC1 (`-----BEGIN EC PRIVATE KEY-----`, what `openssl ecparam
    /// -genkey` writes).
    ///
    /// # Errors
    ///
    /// [`EcdsaKeyError::InvalidPem`] for anything else.
    pub fn from_pem(pem: &str) -> Result<Self, EcdsaKeyError> {
        let secret = p256::SecretKey::from_pkcs8_pem(pem)
            .or_else(|_| p256::SecretKey::from_sec1_pem(pem))
            .map_err(|_| EcdsaKeyError::InvalidPem)?;
        Ok(Self {
            key: SigningKey::from(secret),
        })
    }

    /// Reads a PEM key file (see [`EcdsaKey::from_pem`]).
    ///
    /// # Errors
    ///
    /// [`EcdsaKeyError::Read`] when the file cannot be read,
    /// [`EcdsaKeyError::InvalidPem`] when it holds no usable key.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, EcdsaKeyError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| EcdsaKeyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_pem(&text)
    }

    /// Wraps a signing key made elsewhere.
    #[must_use]
    pub fn from_signing_key(key: SigningKey) -> Self {
        Self { key }
    }

    /// The public half, the one registered with services.
    #[must_use]
    pub fn verifying_key(&self) -> VerifyingKey {
        *self.key.verifying_key()
    }

    /// Signs a server challenge; returns the DER-encoded signature.
    ///
    /// # Errors
    ///
    /// [`EcdsaKeyError::BadChallenge`] when the challenge is not
    /// [`CHALLENGE_LEN`] bytes long.
    pub fn sign_challenge(&self, challenge: &[u8]) -> Result<Vec<u8>, EcdsaKeyError> {
        if challenge.len() != CHALLENGE_LEN {
            return Err(EcdsaKeyError::BadChallenge {
                len: challenge.len(),
            });
        }
        let signature: Signature =
            self.key
                .sign_prehash(challenge)
                .map_err(|_| EcdsaKeyError::BadChallenge {
                    len: challenge.len(),
                })?;
        Ok(signature.to_der().as_bytes().to_vec())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use p256::ecdsa::DerSignature;
    use p256::ecdsa::signature::hazmat::PrehashVerifier;

    use super::*;

    /// A test key from fixed bytes: deterministic, and valid for P-256.
    pub(in crate::sasl) fn test_key() -> EcdsaKey {
        let bytes: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(7).wrapping_add(1));
        let secret = p256::SecretKey::from_slice(&bytes).expect("a valid scalar");
        EcdsaKey {
            key: SigningKey::from(secret),
        }
    }

    #[test]
    fn signature_verifies_with_the_public_key() {
        let key = test_key();
        let challenge: [u8; 32] = core::array::from_fn(|i| i as u8 ^ 0x5a);
        let der = key.sign_challenge(&challenge).unwrap();
        let signature = DerSignature::try_from(der.as_slice()).unwrap();
        let signature = Signature::from_der(signature.as_bytes()).unwrap();
        key.verifying_key()
            .verify_prehash(&challenge, &signature)
            .unwrap();
        // The same signature does not verify another challenge.
        let mut other = challenge;
        other[0] ^= 1;
        assert!(
            key.verifying_key()
                .verify_prehash(&other, &signature)
                .is_err()
        );
    }

    #[test]
    fn generated_key_signs_verifiably() {
        use p256::elliptic_curve::Generate;
        // A fresh key from the operating system's random source.
        let key = EcdsaKey::from_signing_key(SigningKey::generate());
        let challenge = [0xa5; CHALLENGE_LEN];
        let der = key.sign_challenge(&challenge).unwrap();
        let signature = Signature::from_der(&der).unwrap();
        key.verifying_key()
            .verify_prehash(&challenge, &signature)
            .unwrap();
        // Another key's public half does not verify it.
        let other = EcdsaKey::from_signing_key(SigningKey::generate());
        assert!(
            other
                .verifying_key()
                .verify_prehash(&challenge, &signature)
                .is_err()
        );
    }

    #[test]
    fn challenge_of_another_length_is_an_error() {
        assert!(matches!(
            test_key().sign_challenge(b"short"),
            Err(EcdsaKeyError::BadChallenge { len: 5 })
        ));
        assert!(matches!(
            test_key().sign_challenge(&[1; 33]),
            Err(EcdsaKeyError::BadChallenge { len: 33 })
        ));
    }

    #[test]
    fn loads_pkcs8_and_sec1_pem() {
        use p256::pkcs8::{EncodePrivateKey, LineEnding};
        let secret = p256::SecretKey::from_slice(&[0x42; 32]).unwrap();
        let pkcs8 = secret.to_pkcs8_pem(LineEnding::LF).unwrap();
        let sec1 = secret.to_sec1_pem(LineEnding::LF).unwrap();
        assert!(sec1.contains("EC PRIVATE KEY"));
        let a = EcdsaKey::from_pem(&pkcs8).unwrap();
        let b = EcdsaKey::from_pem(&sec1).unwrap();
        assert_eq!(a.verifying_key(), b.verifying_key());
    }

    #[test]
    fn garbage_pem_is_refused() {
        assert!(matches!(
            EcdsaKey::from_pem("hello"),
            Err(EcdsaKeyError::InvalidPem)
        ));
        assert!(matches!(
            EcdsaKey::from_pem_file("/nonexistent/key.pem"),
            Err(EcdsaKeyError::Read { .. })
        ));
    }

    #[test]
    fn debug_hides_the_key() {
        assert_eq!(format!("{:?}", test_key()), "EcdsaKey { .. }");
    }
}
