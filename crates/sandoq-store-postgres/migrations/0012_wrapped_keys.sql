-- Co-signing keys that reveal nothing (issue 18 §2): an official's or supervisor's key is random,
-- and kept here wrapped under their password (sandoq_station::officials: Argon2id and
-- XChaCha20-Poly1305), for their station's package and for signing at the centre. Never published.
-- Empty for other roles and for accounts nobody signs in with.
ALTER TABLE users ADD COLUMN wrapped_key TEXT NOT NULL DEFAULT '';
