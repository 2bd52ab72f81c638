//! Every error answer of the contract, independent of the HTTP stack.

use serde::Serialize;

use crate::id::IdError;

/// An answer other than a success: status and a short reason for the JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A well-formed id that is not seeded (`404`).
    AccountNotFound,
    /// A malformed id segment (`400`).
    InvalidId,
    /// A path the service does not have (`404`).
    NoSuchPath,
    /// A method other than `GET` or `HEAD` on a known path (`405`, with `Allow`).
    MethodNotAllowed,
    /// A request the server could not parse (`400`).
    BadRequest,
}

/// The JSON body of every error: `{"error":"<short reason>"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    /// Short, human-readable reason.
    pub error: &'static str,
}

impl Problem {
    /// HTTP status code.
    pub fn status(self) -> u16 {
        match self {
            Problem::AccountNotFound | Problem::NoSuchPath => 404,
            Problem::InvalidId | Problem::BadRequest => 400,
            Problem::MethodNotAllowed => 405,
        }
    }

    /// Short reason sent in the body.
    pub fn reason(self) -> &'static str {
        match self {
            Problem::AccountNotFound => "account not found",
            Problem::InvalidId => "invalid account id",
            Problem::NoSuchPath => "no such path",
            Problem::MethodNotAllowed => "method not allowed",
            Problem::BadRequest => "bad request",
        }
    }

    /// The body to serialise.
    pub fn body(self) -> ErrorBody {
        ErrorBody {
            error: self.reason(),
        }
    }
}

impl From<IdError> for Problem {
    fn from(error: IdError) -> Self {
        match error {
            IdError::NotFound => Problem::AccountNotFound,
            IdError::Invalid => Problem::InvalidId,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_single_key_json() {
        let json = serde_json::to_string(&Problem::InvalidId.body()).unwrap();
        assert_eq!(json, r#"{"error":"invalid account id"}"#);
        assert_eq!(Problem::from(IdError::NotFound).status(), 404);
        assert_eq!(Problem::MethodNotAllowed.status(), 405);
    }
}
