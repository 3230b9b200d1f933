//! Admin passwords: argon2id hashes (salted by the crate), checked in constant time by it.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

use super::UserError;

pub const MIN_PASSWORD_LEN: usize = 10;

pub fn hash_password(password: &str) -> Result<String, UserError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(UserError::WeakPassword);
    }
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|_| UserError::Hash)
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    match stored.parse::<PasswordHash>() {
        Ok(hash) => Argon2::default().verify_password(password.as_bytes(), &hash).is_ok(),
        Err(_) => false,
    }
}

/// Checks a password against the stored hash, or (no hash: an unknown phone, a user role)
/// against a real hash of a random string, so timing does not tell which it was.
pub fn check_or_waste(password: &str, stored: Option<&str>) -> bool {
    match stored {
        Some(h) => verify_password(password, h),
        None => {
            let _ = verify_password(password, &DUMMY_HASH);
            false
        }
    }
}

/// How many argon2 checks run at once in this process: each takes ~20 MiB and a core for tens
/// of milliseconds, so a burst of sign-ins waits its turn instead of taking the server down.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// How long a check waits for its turn before the sign-in is told to come back.
const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Why a password could not be checked.
#[derive(Debug)]
pub enum Busy {
    /// Too many checks waiting already.
    Queue,
    /// The blocking task failed.
    Task(String),
}

/// [`check_or_waste`] on the blocking pool, at most [`HASHING`]'s permits at a time; a check
/// that cannot start within a few seconds is refused rather than queued without end.
pub async fn check_bounded(password: String, stored: Option<String>) -> Result<bool, Busy> {
    let _permit = match tokio::time::timeout(HASHING_WAIT, HASHING.acquire()).await {
        Ok(Ok(p)) => p,
        Ok(Err(_)) | Err(_) => return Err(Busy::Queue),
    };
    tokio::task::spawn_blocking(move || check_or_waste(&password, stored.as_deref()))
        .await
        .map_err(|e| Busy::Task(e.to_string()))
}

/// A real argon2id hash of a random string, only ever compared against to equalize timing.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&crate::crypto::random_token(24)).unwrap_or_default());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_round_trip() {
        assert!(matches!(hash_password("short"), Err(UserError::WeakPassword)));
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(!check_or_waste("correct horse battery", None));
        assert!(check_or_waste("correct horse battery", Some(&h)));
    }
}
