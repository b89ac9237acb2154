//! Passwords and PINs hashed with argon2id. Hashing is deliberately slow, so it runs on
//! the blocking pool and never stalls the async workers.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// A hash that never matches, verified when the username is unknown so that a wrong
/// username takes as long as a wrong password and does not reveal who has an account.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0bWDnTSgmQ7rUUVVSuNRwpXr4aBwyxZo6oPQF1IlVzQ";

pub async fn hash(secret: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| anyhow::anyhow!("argon2: {error}"))
    })
    .await?
}

/// Whether `secret` matches `stored`; `None` checks against a hash that never matches.
pub async fn verify(secret: String, stored: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed =
            PasswordHash::new(&stored).map_err(|error| anyhow::anyhow!("argon2: {error}"))?;
        Ok(Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok())
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_their_own_password() {
        let stored = hash("demo1234".into()).await.expect("hashes");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("demo1234".into(), Some(stored.clone()))
            .await
            .expect("verifies"));
        assert!(!verify("demo1235".into(), Some(stored))
            .await
            .expect("verifies"));
        assert!(!verify("demo1234".into(), None).await.expect("dummy parses"));
    }
}
