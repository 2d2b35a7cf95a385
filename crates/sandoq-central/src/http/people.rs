//! People: passwords, sign-in, sessions and roles (issue 3 §3).
//!
//! Passwords are stored as Argon2id hashes. Signing in sets a session cookie
//! (`HttpOnly; Secure; SameSite=Strict`); the store keeps only the SHA-256 of
//! the session token, so a copy of the database opens no session. After
//! [`MAX_FAILURES`] wrong passwords in a row an account is locked for
//! [`LOCK_SECONDS`]. An unknown username and a wrong password get the same
//! answer, and a dummy hash is checked for unknown names so that the time
//! taken does not tell them apart.

use super::device_auth::hex;
use super::error::AppError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::http::{HeaderMap, StatusCode};
use rand_core::{OsRng, RngCore};
use sandoq_store::{Role, Store, Timestamp, User};
use sha2::{Digest, Sha256};

pub const COOKIE: &str = "sandoq_session";
pub const SESSION_SECONDS: i64 = 12 * 3600;
pub const MAX_FAILURES: u32 = 5;
pub const LOCK_SECONDS: i64 = 15 * 60;

/// An Argon2id hash of a password, with a random salt.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| {
            AppError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "hash_failed",
                "the password could not be hashed",
                "گذرواژه درهم‌سازی نشد",
            )
        })
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A new random session token (hex) and the hash the store keeps.
pub fn new_session_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = hex(&bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn session_cookie(token: &str) -> String {
    format!(
        "{COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age={SESSION_SECONDS}"
    )
}

pub fn cleared_cookie() -> String {
    format!("{COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0")
}

/// The session token sent in the `Cookie` header, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE && !value.is_empty()).then(|| value.to_string())
        })
}

/// Checks a username and password; returns the user or the refusal to send.
pub async fn sign_in<S: Store>(
    store: &S,
    username: &str,
    password: &str,
    now: Timestamp,
) -> Result<User, AppError> {
    let refused = || {
        AppError::new(
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
            "wrong username or password",
            "نام کاربری یا گذرواژه نادرست است",
        )
    };
    let Some(user) = store.user_by_name(username).await? else {
        // Spend the same time as for a real account.
        let _ = verify_password(password, dummy_hash());
        return Err(refused());
    };
    if user.locked_until > now {
        return Err(AppError::new(
            StatusCode::LOCKED,
            "account_locked",
            format!(
                "too many wrong passwords; this account is locked until {}",
                user.locked_until
            ),
            format!(
                "گذرواژهٔ نادرست بیش از حد؛ این حساب تا {} قفل است",
                sandoq_i18n::persian_digits(&user.locked_until.to_string())
            ),
        ));
    }
    if !verify_password(password, &user.password_hash) {
        store
            .record_failed_sign_in(user.id, MAX_FAILURES, Timestamp(now.0 + LOCK_SECONDS))
            .await?;
        return Err(refused());
    }
    Ok(user)
}

fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("sandoq: no such user").unwrap_or_default())
}

/// The signed-in person, if their role is one of `allowed`: 401 without a live session, 403 for another role.
pub async fn require<S: Store>(
    store: &S,
    headers: &HeaderMap,
    now: Timestamp,
    allowed: &[Role],
) -> Result<User, AppError> {
    let not_signed_in = || {
        AppError::new(
            StatusCode::UNAUTHORIZED,
            "not_signed_in",
            "sign in first",
            "نخست وارد شوید",
        )
    };
    let token = session_token(headers).ok_or_else(not_signed_in)?;
    let user = store
        .session_user(&token_hash(&token), now)
        .await?
        .ok_or_else(not_signed_in)?;
    if !allowed.contains(&user.role) {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "forbidden_role",
            format!("the role {} may not do this", user.role.name()),
            format!("نقش {} اجازهٔ این کار را ندارد", user.role.name()),
        ));
    }
    Ok(user)
}

/// Creates a person who can sign in, checked by the same rules everywhere (API, pages, CLI).
pub async fn create_user<S: Store>(
    store: &S,
    actor: &User,
    username: &str,
    role: &str,
    scope: &str,
    password: &str,
    now: Timestamp,
) -> Result<sandoq_store::UserId, AppError> {
    let role = Role::from_name(role).ok_or_else(|| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_role",
            format!("unknown role {role:?}"),
            format!("نقش ناشناخته {role:?}"),
        )
    })?;
    store_user(
        store,
        username,
        role,
        scope,
        password,
        &format!("user:{}", actor.username),
        now,
    )
    .await
}

/// Checks and stores a new user; a station official or a supervisor also gets a co-signing key:
/// random, never derived from the password (`sandoq_station::officials`), its public half kept
/// (and later sealed in the roster and published) and the key itself kept only wrapped under the
/// password: for the station to check its officials' sign-ins offline and let them co-sign its
/// report, and for a supervisor to sign at the centre.
pub async fn store_user<S: Store>(
    store: &S,
    username: &str,
    role: Role,
    scope: &str,
    password: &str,
    actor: &str,
    now: Timestamp,
) -> Result<sandoq_store::UserId, AppError> {
    crate::setup::check_new_user(username, role, scope, password)?;
    let hash = hash_password(password)?;
    let id = store
        .create_user(username, role, scope.trim(), &hash, actor, now)
        .await?;
    if matches!(role, Role::Station | Role::Supervisor) {
        let key = sandoq_station::officials::new_key();
        let wrapped =
            sandoq_station::officials::wrap(&key, username, password).ok_or_else(key_failed)?;
        store
            .set_signing_key(
                id,
                &super::device_auth::hex(key.verifying_key().as_bytes()),
                &wrapped,
                actor,
                now,
            )
            .await?;
    }
    Ok(id)
}

fn key_failed() -> AppError {
    AppError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "key_failed",
        "the co-signing key could not be wrapped",
        "کلید امضا رمزگذاری نشد",
    )
}

/// A person changes their own password: the current one must be right, the new one strong. The
/// co-signing key, if they have one, is re-wrapped under the new password; it does not change, so
/// the roster that names it stays true.
pub async fn change_password<S: Store>(
    store: &S,
    user: &User,
    current: &str,
    new: &str,
    now: Timestamp,
) -> Result<(), AppError> {
    let wrong = || {
        AppError::new(
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
            "the current password is not right",
            "گذرواژهٔ کنونی درست نیست",
        )
    };
    if !verify_password(current, &user.password_hash) {
        return Err(wrong());
    }
    crate::setup::check_password(&user.username, new)?;
    if current == new {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "same_password",
            "the new password is the current one",
            "گذرواژهٔ تازه همان گذرواژهٔ کنونی است",
        ));
    }
    let wrapped = if user.wrapped_key.is_empty() {
        String::new()
    } else {
        sandoq_station::officials::rewrap(&user.wrapped_key, &user.username, current, new)
            .ok_or_else(key_failed)?
    };
    let hash = hash_password(new)?;
    store
        .set_password(
            user.id,
            &hash,
            &wrapped,
            &format!("user:{}", user.username),
            now,
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_cookies() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct hors", &hash));
        assert!(!verify_password("x", "not a hash"));
        let (token, stored) = new_session_token();
        assert_eq!(token.len(), 64);
        assert_eq!(stored, token_hash(&token));
        assert_ne!(stored, token);
        let mut headers = HeaderMap::new();
        headers.insert(
            "cookie",
            format!("theme=dark; {COOKIE}={token}").parse().unwrap(),
        );
        assert_eq!(session_token(&headers), Some(token));
        assert!(session_cookie("t").contains("HttpOnly; Secure; SameSite=Strict"));
    }
}
