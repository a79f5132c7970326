//! The one error the UI receives: the façade's [`ApiError`] reduced to its stable code, its
//! class and its message. The UI branches on `code` (e.g. `passphrase_unavailable` → ask for the
//! passphrase, `identity_unlock`, retry); the message is for people and may change.

use countersign_api::ApiError;
use serde::Serialize;

/// A failed command, as the UI sees it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppError {
    /// Stable `snake_case` code from [`ApiError::code`] (`not_found`, `wrong_passphrase`,
    /// `passphrase_unavailable`, `held`, …).
    pub code: String,
    /// `refused` (a rule said no), `bad_input` or `internal`.
    pub class: String,
    /// What went wrong and what to do, in words.
    pub message: String,
}

impl From<ApiError> for AppError {
    fn from(e: ApiError) -> AppError {
        let class = match e.class() {
            countersign_api::ErrorClass::Refused => "refused",
            countersign_api::ErrorClass::BadInput => "bad_input",
            countersign_api::ErrorClass::Internal => "internal",
        };
        AppError {
            code: e.code().to_owned(),
            class: class.to_owned(),
            message: e.to_string(),
        }
    }
}

impl AppError {
    /// A refusal made by the shell itself (`sync_running`).
    pub(crate) fn refused(code: &str, message: &str) -> AppError {
        AppError {
            code: code.to_owned(),
            class: "refused".to_owned(),
            message: message.to_owned(),
        }
    }

    /// A fault in the shell (a task that stopped unexpectedly).
    pub(crate) fn internal(message: String) -> AppError {
        AppError {
            code: "internal".to_owned(),
            class: "internal".to_owned(),
            message,
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for AppError {}
