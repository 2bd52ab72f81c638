//! The account service on the standard library alone: a thread per connection, HTTP/1.1
//! keep-alive, nothing else. Not a production stack: the reference line that shows how close
//! each stack gets to the floor of process plus socket.

pub mod http;
pub mod server;

use footprint_core::{ACCOUNTS_PREFIX, ALLOW, AccountService, HEALTH_BODY, HEALTH_PATH, Problem};

use crate::http::Response;

/// The stack's name, in the ready line and the `Server` header.
pub const STACK: &str = "floor";

/// Answers one request: the whole contract, given a method and a path without its query.
pub fn route(service: &AccountService, method: &str, path: &str) -> Response {
    let id = path
        .strip_prefix(ACCOUNTS_PREFIX)
        .filter(|id| !id.is_empty() && !id.contains('/'));
    if path != HEALTH_PATH && id.is_none() {
        return problem(Problem::NoSuchPath);
    }
    if method != "GET" && method != "HEAD" {
        return problem(Problem::MethodNotAllowed);
    }
    match id {
        None => Response {
            status: 200,
            allow: None,
            body: HEALTH_BODY.into(),
        },
        Some(id) => match service.find_raw(id) {
            Ok(account) => Response {
                status: 200,
                allow: None,
                body: serde_json::to_vec(&account).unwrap_or_default(),
            },
            Err(e) => problem(e.into()),
        },
    }
}

/// The JSON error response for `problem`.
pub fn problem(problem: Problem) -> Response {
    Response {
        status: problem.status(),
        allow: (problem == Problem::MethodNotAllowed).then_some(ALLOW),
        body: serde_json::to_vec(&problem.body()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_the_contract() {
        let s = AccountService::seeded("h");
        assert_eq!(route(&s, "GET", "/accounts/10001").status, 200);
        assert_eq!(route(&s, "HEAD", "/health").status, 200);
        assert_eq!(route(&s, "GET", "/accounts/10100").status, 404);
        assert_eq!(route(&s, "GET", "/accounts/x").status, 400);
        assert_eq!(route(&s, "GET", "/accounts/").status, 404);
        assert_eq!(route(&s, "GET", "/accounts/1/").status, 404);
        let r = route(&s, "POST", "/health");
        assert_eq!((r.status, r.allow), (405, Some(ALLOW)));
        assert_eq!(route(&s, "POST", "/elsewhere").status, 404);
    }
}
