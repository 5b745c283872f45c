//! Bearer tokens with scopes, read from a token file.
//!
//! The file has one token a line, `TOKEN SCOPE[,SCOPE…]`, with `#` comments;
//! scopes are `ingest`, `read` and `admin` (admin implies the other two).
//! This module only parses and answers "may this token do that"; the HTTP
//! layer decides what to do with the answer.

use std::collections::HashMap;

use crate::error::ConfigError;

/// What a request is allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Send telemetry.
    Ingest,
    /// Read SLOs and figures.
    Read,
    /// Reload specs and other governance actions.
    Admin,
}

impl Scope {
    fn parse(s: &str) -> Option<Scope> {
        match s {
            "ingest" => Some(Scope::Ingest),
            "read" => Some(Scope::Read),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
}

/// A granted token: its scopes and the identity actions are attributed to.
#[derive(Clone, Debug, PartialEq)]
pub struct Grant {
    /// 1-based line of the token file, used as the identity (`token@line`),
    /// so the token itself never reaches a log.
    pub identity: String,
    /// What the token may do.
    pub scopes: Vec<Scope>,
}

impl Grant {
    /// True when the grant covers `scope` (admin covers everything).
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope) || self.scopes.contains(&Scope::Admin)
    }
}

/// The tokens a server accepts.
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    /// Token text to grant.
    by_token: HashMap<String, Grant>,
}

impl Tokens {
    /// Parses a token file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Tokens, ConfigError> {
        let mut by_token = HashMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let token = parts.next().unwrap_or_default();
            let scopes_text = parts.next().ok_or_else(|| ConfigError::TokenFile {
                file: file.to_string(),
                line: i + 1,
                message: "expected `TOKEN SCOPE[,SCOPE...]`, got a token without scopes".into(),
            })?;
            if parts.next().is_some() {
                return Err(ConfigError::TokenFile {
                    file: file.to_string(),
                    line: i + 1,
                    message: "expected `TOKEN SCOPE[,SCOPE...]`, got more than two fields".into(),
                });
            }
            if token.len() < 16 {
                return Err(ConfigError::TokenFile {
                    file: file.to_string(),
                    line: i + 1,
                    message: format!(
                        "token is {} characters long, expected at least 16",
                        token.len()
                    ),
                });
            }
            let mut scopes = Vec::new();
            for s in scopes_text.split(',') {
                scopes.push(Scope::parse(s).ok_or_else(|| ConfigError::TokenFile {
                    file: file.to_string(),
                    line: i + 1,
                    message: format!("unknown scope {s:?}, expected ingest, read or admin"),
                })?);
            }
            let grant = Grant {
                identity: format!("token@{}", i + 1),
                scopes,
            };
            if by_token.insert(token.to_string(), grant).is_some() {
                return Err(ConfigError::TokenFile {
                    file: file.to_string(),
                    line: i + 1,
                    message: "token appears twice".into(),
                });
            }
        }
        if by_token.is_empty() {
            return Err(ConfigError::TokenFile {
                file: file.to_string(),
                line: 0,
                message: "no tokens in file, expected at least one `TOKEN SCOPE` line".into(),
            });
        }
        Ok(Tokens { by_token })
    }

    /// The grant of a bearer token, if it is known.
    pub fn grant(&self, token: &str) -> Option<&Grant> {
        self.by_token.get(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scopes_and_admin_implies_all() {
        let t = Tokens::parse(
            "t",
            "# comment\nabcdefghijklmnop1 ingest\nabcdefghijklmnop2 read,admin\n",
        )
        .unwrap();
        let g = t.grant("abcdefghijklmnop1").unwrap();
        assert!(g.allows(Scope::Ingest) && !g.allows(Scope::Read));
        let a = t.grant("abcdefghijklmnop2").unwrap();
        assert!(a.allows(Scope::Ingest) && a.allows(Scope::Read) && a.allows(Scope::Admin));
        assert_eq!(a.identity, "token@3");
        assert!(t.grant("nope").is_none());
    }

    #[test]
    fn rejects_bad_lines_with_their_line_number() {
        let e = Tokens::parse("tokens.txt", "abcdefghijklmnop1 write\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "tokens.txt:1: unknown scope \"write\", expected ingest, read or admin"
        );
        let e = Tokens::parse("tokens.txt", "\nshort read\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "tokens.txt:2: token is 5 characters long, expected at least 16"
        );
        assert!(Tokens::parse("t", "# nothing\n").is_err());
    }
}
