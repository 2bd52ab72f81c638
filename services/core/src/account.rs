//! The seeded in-memory store and the account JSON.

use std::collections::HashMap;

use serde::Serialize;

use crate::id::{self, IdError};

/// First seeded id; the store holds `SEED_COUNT` consecutive ids from here.
pub const FIRST_ID: u32 = 10_000;
/// Number of accounts seeded at start.
pub const SEED_COUNT: u32 = 100;

/// One stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Decimal id, as served (`"10042"`).
    pub id: String,
    /// Display name (`"Person_42"`).
    pub name: String,
}

/// The JSON body of `GET /accounts/{id}`; field order is the contract's key order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AccountView<'a> {
    /// The account's id.
    pub id: &'a str,
    /// The account's name.
    pub name: &'a str,
    /// Host name of the machine or container that served the request.
    #[serde(rename = "servedBy")]
    pub served_by: &'a str,
}

/// The account service's state: the seeded accounts and the host name it reports.
#[derive(Debug, Clone)]
pub struct AccountService {
    accounts: HashMap<String, Account>,
    hostname: String,
}

impl AccountService {
    /// The 100 seeded accounts `10000..=10099`, served by `hostname`.
    pub fn seeded(hostname: impl Into<String>) -> Self {
        let accounts = (0..SEED_COUNT)
            .map(|i| {
                let id = (FIRST_ID + i).to_string();
                let account = Account {
                    id: id.clone(),
                    name: format!("Person_{i}"),
                };
                (id, account)
            })
            .collect();
        Self {
            accounts,
            hostname: hostname.into(),
        }
    }

    /// Looks up a decoded id segment; ids are compared as strings (`010000` is unknown).
    pub fn find(&self, decoded: &str) -> Result<AccountView<'_>, IdError> {
        let id = id::classify(decoded)?;
        let account = self.accounts.get(id).ok_or(IdError::NotFound)?;
        Ok(AccountView {
            id: &account.id,
            name: &account.name,
            served_by: &self.hostname,
        })
    }

    /// Looks up a raw (still percent-encoded) path segment.
    pub fn find_raw(&self, raw: &str) -> Result<AccountView<'_>, IdError> {
        let decoded = id::decode_segment(raw).ok_or(IdError::Invalid)?;
        self.find(&decoded)
    }

    /// The host name this service reports in `servedBy`.
    pub fn hostname(&self) -> &str {
        &self.hostname
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_the_hundred_accounts_of_the_contract() {
        let service = AccountService::seeded("box");
        for i in 0..100 {
            let id = format!("{}", 10_000 + i);
            let view = service.find(&id).expect("seeded");
            assert_eq!(view.name, format!("Person_{i}"));
        }
        assert_eq!(service.find("10100"), Err(IdError::NotFound));
        assert_eq!(service.find("9999"), Err(IdError::NotFound));
        assert_eq!(service.find("010000"), Err(IdError::NotFound));
        assert_eq!(service.find("10000a"), Err(IdError::Invalid));
    }

    #[test]
    fn json_keys_are_in_contract_order_without_spaces() {
        let service = AccountService::seeded("node-1");
        let json = serde_json::to_string(&service.find("10042").unwrap()).unwrap();
        assert_eq!(
            json,
            r#"{"id":"10042","name":"Person_42","servedBy":"node-1"}"#
        );
    }

    #[test]
    fn raw_segments_are_percent_decoded_once() {
        let service = AccountService::seeded("h");
        assert_eq!(service.find_raw("%31%30%30%34%32").unwrap().id, "10042");
        assert_eq!(service.find_raw("%2531").err(), Some(IdError::Invalid));
        assert_eq!(service.find_raw("%ff").err(), Some(IdError::Invalid));
    }

    #[test]
    fn hostnames_are_escaped_in_json() {
        let service = AccountService::seeded("a\"b");
        let json = serde_json::to_string(&service.find("10000").unwrap()).unwrap();
        assert!(json.ends_with(r#""servedBy":"a\"b"}"#), "{json}");
    }
}
