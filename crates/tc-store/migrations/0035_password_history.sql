-- Passwords an account has had (issue 13, "no reuse"): the Argon2id PHC string of each password
-- replaced, newest last. A new password may not equal the current one or any of the last few
-- here (AuthPolicy::password_history). Only hashes, never passwords.
CREATE TABLE IF NOT EXISTS password_history (
    user_id        BIGINT NOT NULL,
    replaced_at    TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    PRIMARY KEY (user_id, replaced_at)
);
