//! The station device's Ed25519 key, kept in its data directory (`device.key`, the 32-byte seed
//! in hex, readable by its owner only). Generated on first start from the operating system's
//! random source; its public half is what headquarters registers.

use ed25519_dalek::SigningKey;
use rand_core::{OsRng, RngCore};
use std::io::Write;
use std::path::Path;

pub const KEY_FILE: &str = "device.key";

/// The device key in `dir`, created if there is none yet.
pub fn load_or_create(dir: &Path) -> std::io::Result<SigningKey> {
    let path = dir.join(KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(text.trim()).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} is not a device key", path.display()),
            )
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            OsRng.fill_bytes(&mut seed);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(&path)?;
            writeln!(file, "{}", crate::merkle::hex(&seed))?;
            file.sync_all()?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(error) => Err(error),
    }
}

fn parse(text: &str) -> Option<SigningKey> {
    crate::merkle::unhex::<32>(text).map(|seed| SigningKey::from_bytes(&seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("sandoq-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let _ = std::fs::remove_file(dir.join(KEY_FILE));
        let first = load_or_create(&dir).unwrap();
        let again = load_or_create(&dir).unwrap();
        assert_eq!(first.to_bytes(), again.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.join(KEY_FILE), "nonsense").unwrap();
        assert!(load_or_create(&dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
