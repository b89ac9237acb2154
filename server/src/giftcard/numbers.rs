//! Gift card numbers: the batch's prefix, random digits from the operating system's
//! CSPRNG, and a Luhn check digit. Random, not sequential, so that knowing one card's
//! number tells nothing about the next one's; uniqueness is kept by the primary key and a
//! retry with fresh digits on the rare collision.

use huiyuan_shared::check_digit;
use huiyuan_shared::giftcard::CARD_NO_DIGITS;
use rand::rngs::OsRng;
use rand::Rng;

/// A new card number starting with `prefix` (ASCII digits, checked by the caller).
pub fn new_card_no(prefix: &str) -> String {
    let mut number = String::with_capacity(CARD_NO_DIGITS);
    number.push_str(prefix);
    while number.len() < CARD_NO_DIGITS - 1 {
        number.push(char::from(b'0' + OsRng.gen_range(0..10u8)));
    }
    let check = check_digit::luhn(&number).unwrap_or(0);
    number.push(char::from_digit(check, 10).unwrap_or('0'));
    number
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn numbers_have_the_length_prefix_and_check_digit() {
        let mut seen = HashSet::new();
        for prefix in ["", "8", "620000"] {
            for _ in 0..1_000 {
                let number = new_card_no(prefix);
                assert_eq!(number.len(), CARD_NO_DIGITS);
                assert!(number.starts_with(prefix));
                assert!(check_digit::is_valid(&number), "{number}");
                seen.insert(number);
            }
        }
        // Nine or more random digits: three thousand draws practically never collide.
        assert!(seen.len() >= 2_990, "{} distinct", seen.len());
    }
}
