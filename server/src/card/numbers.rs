//! Member card numbers: a prefix, random digits from the operating system's CSPRNG and a
//! Luhn check digit. Random, not sequential, so one card's number tells nothing about
//! another's; a batch keeps its printing order in `seq` instead. Uniqueness is kept by the
//! primary key, with fresh digits for the rare number already taken.

use huiyuan_shared::card::CARD_NO_DIGITS;
use huiyuan_shared::check_digit;
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

    #[test]
    fn numbers_have_the_length_prefix_and_check_digit() {
        for prefix in ["", "9", "8801"] {
            for _ in 0..500 {
                let number = new_card_no(prefix);
                assert_eq!(number.len(), CARD_NO_DIGITS);
                assert!(number.starts_with(prefix));
                assert!(huiyuan_shared::card::normalize_card_no("card_no", &number).is_ok());
            }
        }
    }
}
