//! The id rules: which path segment names an account, which is unknown, which is malformed.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

/// Longest id, in digits, that is looked up rather than refused as malformed.
pub const MAX_ID_DIGITS: usize = 10;

/// Why an id segment does not name a seeded account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// 1 to 10 ASCII digits that are not a seeded id (`404`).
    #[error("account not found")]
    NotFound,
    /// Anything else: empty, a sign, a letter, a dot, too long, invalid UTF-8 (`400`).
    #[error("invalid account id")]
    Invalid,
}

/// Percent-decodes one raw path segment; `None` when the bytes are not UTF-8.
pub fn decode_segment(raw: &str) -> Option<Cow<'_, str>> {
    percent_decode_str(raw).decode_utf8().ok()
}

/// Checks the shape of an already decoded id: `Ok(id)` when it may be looked up.
///
/// Ids are compared as strings afterwards, so `010000` passes this check and is then not
/// found, while `+10000`, `1e4` or eleven digits are refused here.
pub fn classify(decoded: &str) -> Result<&str, IdError> {
    let digits = decoded.len();
    if (1..=MAX_ID_DIGITS).contains(&digits) && decoded.bytes().all(|b| b.is_ascii_digit()) {
        Ok(decoded)
    } else {
        Err(IdError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn edges_from_the_contract() {
        assert_eq!(classify("10042"), Ok("10042"));
        assert_eq!(classify("010000"), Ok("010000"));
        assert_eq!(classify("0"), Ok("0"));
        assert_eq!(classify("9999999999"), Ok("9999999999"));
        for bad in [
            "",
            "+10000",
            "-1",
            "1e4",
            "10000.0",
            ".",
            "99999999999",
            " 1",
            "١٢",
        ] {
            assert_eq!(classify(bad), Err(IdError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn decoding_is_per_segment() {
        assert_eq!(decode_segment("%31%30%30%30%30").as_deref(), Some("10000"));
        assert_eq!(decode_segment("10%2F00").as_deref(), Some("10/00"));
        assert_eq!(decode_segment("%zz").as_deref(), Some("%zz"));
        assert_eq!(decode_segment("%ff"), None);
    }

    proptest! {
        #[test]
        fn digits_up_to_ten_are_looked_up(id in "[0-9]{1,10}") {
            prop_assert_eq!(classify(&id), Ok(id.as_str()));
        }

        #[test]
        fn anything_with_a_non_digit_is_invalid(prefix in "[0-9]{0,5}", bad in "[^0-9]", suffix in "[0-9]{0,4}") {
            let id = format!("{prefix}{bad}{suffix}");
            prop_assert_eq!(classify(&id), Err(IdError::Invalid));
        }

        #[test]
        fn more_than_ten_digits_is_invalid(id in "[0-9]{11,40}") {
            prop_assert_eq!(classify(&id), Err(IdError::Invalid));
        }

        #[test]
        fn decoding_never_panics(raw in "\\PC*") {
            if let Some(decoded) = decode_segment(&raw) {
                let _ = classify(&decoded);
            }
        }
    }
}
