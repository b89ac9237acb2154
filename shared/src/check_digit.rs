//! Check digits for member and card numbers (Luhn, as bank cards use): one mistyped digit
//! or two swapped neighbours are caught before the number is looked up.

/// The Luhn check digit for a string of ASCII digits, or `None` if it has anything else.
pub fn luhn(digits: &str) -> Option<u32> {
    let mut sum = 0;
    for (position, c) in digits.chars().rev().enumerate() {
        let mut digit = c.to_digit(10)?;
        if position % 2 == 0 {
            digit *= 2;
            if digit > 9 {
                digit -= 9;
            }
        }
        sum += digit;
    }
    Some((10 - sum % 10) % 10)
}

/// Whether the last digit of `number` is the Luhn check digit of the rest.
pub fn is_valid(number: &str) -> bool {
    let Some(last) = number.chars().last() else {
        return false;
    };
    let body = &number[..number.len() - last.len_utf8()];
    !body.is_empty() && last.is_ascii_digit() && luhn(body) == last.to_digit(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_numbers() {
        // A textbook Luhn example.
        assert_eq!(luhn("7992739871"), Some(3));
        assert!(is_valid("79927398713"));
        assert!(!is_valid("79927398710"));
        assert!(!is_valid("79927398731"), "swapped neighbours are caught");
        assert_eq!(luhn("12a"), None);
        assert!(!is_valid(""));
    }
}
