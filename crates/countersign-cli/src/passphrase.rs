//! Passphrases for the command line: `COUNTERSIGN_PASSPHRASE`, else a prompt on the terminal.

use std::io::IsTerminal;

use countersign_api::{ApiError, PassphrasePurpose, PassphraseSource, Result, Secret};

/// Reads `COUNTERSIGN_PASSPHRASE`, or prompts when standard input is a terminal.
#[derive(Debug, Default)]
pub struct EnvOrPrompt;

impl PassphraseSource for EnvOrPrompt {
    fn passphrase(&mut self, who: &str, purpose: PassphrasePurpose) -> Result<Secret> {
        if let Ok(p) = std::env::var("COUNTERSIGN_PASSPHRASE") {
            return Ok(Secret::new(p));
        }
        if !std::io::stdin().is_terminal() {
            return Err(ApiError::PassphraseUnavailable(who.to_owned()));
        }
        let io = |e| ApiError::PassphraseUnavailable(format!("{who} ({e})"));
        match purpose {
            PassphrasePurpose::Unlock => {
                let p =
                    rpassword::prompt_password(format!("Passphrase for {who}: ")).map_err(io)?;
                Ok(Secret::new(p))
            }
            PassphrasePurpose::NewIdentity => {
                let a = rpassword::prompt_password(format!("New passphrase for {who}: "))
                    .map_err(io)?;
                let b = rpassword::prompt_password("Repeat it: ").map_err(io)?;
                if a != b {
                    return Err(ApiError::PassphraseMismatch);
                }
                Ok(Secret::new(a))
            }
        }
    }
}
