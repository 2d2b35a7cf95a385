//! The rules for what headquarters sets up, shared by the API and the command
//! line so that both refuse the same things with the same codes.

use sandoq_store::{Role, StoreError};

/// A device's public key as typed: 64 hex characters of a valid Ed25519 key. Returns it in lowercase.
pub fn public_key(text: &str) -> Result<String, StoreError> {
    let key = text.trim().to_ascii_lowercase();
    let bytes: Option<[u8; 32]> = (key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| {
            (0..32)
                .filter_map(|i| u8::from_str_radix(&key[2 * i..2 * i + 2], 16).ok())
                .collect::<Vec<u8>>()
                .try_into()
                .ok()
        })
        .flatten();
    if bytes.is_none_or(|b| ed25519_dalek::VerifyingKey::from_bytes(&b).is_err()) {
        return Err(StoreError::invalid(
            "bad_public_key",
            "the public key must be 64 hex characters of an Ed25519 key",
            "کلید عمومی باید ۶۴ نویسهٔ هگز از کلید Ed25519 باشد",
        ));
    }
    Ok(key)
}

/// An election's rule set and options, checked by the counting engine's own reader of the `rules`
/// object (so the centre never holds options the count would refuse); returns the compact JSON
/// stored with the election. Only the Tehran rule set exists today.
pub fn rules(
    rule_set: Option<&str>,
    options: Option<&serde_json::Value>,
) -> Result<String, StoreError> {
    let rule_set = rule_set.unwrap_or(sandoq_count::RULE_SET);
    if rule_set != sandoq_count::RULE_SET {
        return Err(StoreError::invalid(
            "unknown_rule_set",
            format!(
                "unknown rule set {rule_set:?} (only {} exists)",
                sandoq_count::RULE_SET
            ),
            format!(
                "مجموعهٔ قواعد ناشناخته {rule_set:?} (فقط {} هست)",
                sandoq_count::RULE_SET
            ),
        ));
    }
    let options = options.cloned().unwrap_or_else(|| serde_json::json!({}));
    sandoq_json::tally::parse_rules(&options).map_err(|e| {
        let place =
            e.at.as_deref()
                .map(|a| format!(" ({a})"))
                .unwrap_or_default();
        StoreError::invalid(
            e.code,
            format!("{}{place}", e.en),
            format!("{}{place}", e.fa),
        )
    })?;
    Ok(serde_json::json!({"rule_set": rule_set, "options": options}).to_string())
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// A new person: a username of 1-64 letters, digits or `-_.`; a scope exactly for the scoped
/// roles (executive, station); a password of at least [`MIN_PASSWORD_CHARS`] characters.
pub fn check_new_user(
    username: &str,
    role: Role,
    scope: &str,
    password: &str,
) -> Result<(), StoreError> {
    let valid_name = !username.is_empty()
        && username.len() <= 64
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !valid_name {
        return Err(StoreError::invalid(
            "bad_username",
            "a username is 1-64 letters, digits or -_.",
            "نام کاربری ۱ تا ۶۴ حرف، رقم یا -_. است",
        ));
    }
    if role.scoped() == scope.trim().is_empty() {
        return Err(StoreError::invalid(
            "bad_scope",
            "executive and station users need a scope (an area or a station); the others take none",
            "کاربران هیئت اجرایی و شعبه محدوده (حوزه یا شعبه) می‌خواهند و دیگران نه",
        ));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StoreError::invalid(
            "weak_password",
            "a password needs at least 12 characters",
            "گذرواژه دست‌کم ۱۲ نویسه می‌خواهد",
        ));
    }
    Ok(())
}

/// Setup data (areas, stations, lists, candidates, photos, the registry) changes only while the
/// election is being set up: what stations compare must not move under them.
pub fn require_setup(election: &sandoq_store::Election) -> Result<(), StoreError> {
    if election.status == sandoq_store::ElectionStatus::Setup {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "election_not_in_setup",
            format!(
                "this election is {}: its setup data can no longer change",
                election.status.name()
            ),
            format!(
                "این انتخابات در وضعیت {} است: داده‌های آماده‌سازی آن دیگر تغییر نمی‌کند",
                election.status.name()
            ),
        ))
    }
}

/// Devices may still be registered on polling day (a broken desk is replaced), not after.
pub fn require_not_closed(election: &sandoq_store::Election) -> Result<(), StoreError> {
    if election.status == sandoq_store::ElectionStatus::Closed {
        Err(sandoq_store::checkin::not_voting(election.status))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_checked_by_the_counting_engine() {
        assert_eq!(
            rules(None, None).unwrap(),
            sandoq_store::ElectionSpec::DEFAULT_RULES
        );
        let seeded = serde_json::json!({"tie_break": "lot", "lot_seed": "announced 1405/02/01"});
        assert!(rules(Some("tehran-1405"), Some(&seeded))
            .unwrap()
            .contains("announced"));
        assert_eq!(
            rules(None, Some(&serde_json::json!({"tie_break": "lot"})))
                .unwrap_err()
                .code(),
            "lot_seed_required"
        );
        assert_eq!(
            rules(None, Some(&serde_json::json!({"quota": "droop"})))
                .unwrap_err()
                .code(),
            "unknown_field"
        );
        assert_eq!(
            rules(Some("dhondt"), None).unwrap_err().code(),
            "unknown_rule_set"
        );
    }

    #[test]
    fn keys_and_users() {
        let key = "8A88E3DD7409F195FD52DB2D3CBA5D72CA6709BF1D94121BF3748801B40F6F5C";
        assert_eq!(public_key(key).unwrap(), key.to_ascii_lowercase());
        assert_eq!(public_key("abc").unwrap_err().code(), "bad_public_key");
        assert_eq!(
            public_key(&"zz".repeat(32)).unwrap_err().code(),
            "bad_public_key"
        );
        assert!(check_new_user("admin", Role::Hq, "", "a long enough password").is_ok());
        assert_eq!(
            check_new_user("ad min", Role::Hq, "", "a long enough password")
                .unwrap_err()
                .code(),
            "bad_username"
        );
        assert_eq!(
            check_new_user("s1", Role::Station, "", "a long enough password")
                .unwrap_err()
                .code(),
            "bad_scope"
        );
        assert_eq!(
            check_new_user("o1", Role::Observer, "S-1", "a long enough password")
                .unwrap_err()
                .code(),
            "bad_scope"
        );
        assert_eq!(
            check_new_user("admin", Role::Hq, "", "short")
                .unwrap_err()
                .code(),
            "weak_password"
        );
    }
}
