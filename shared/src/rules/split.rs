//! Splitting an amount in proportion to parts by the largest-remainder method: everyone
//! gets the whole 分 (or point) below their exact share, and the few units left over go
//! to the largest fractions, earlier parts first on ties. The shares add up exactly.

use super::error::{RuleError, RuleErrorKind};
use crate::money::Money;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Splits `total` over `parts` in proportion to them, e.g. a stored-value refund back
/// into principal (本金) and bonus (赠送金) in the proportion they were spent.
///
/// The shares sum to `total` exactly and none exceeds its part. `total` must lie between
/// zero and the sum of the parts, and no part may be negative.
pub fn split_proportionally(total: Money, parts: &[Money]) -> Result<Vec<Money>, RuleError> {
    if total.fen() < 0 {
        return Err(RuleError::new("total", RuleErrorKind::Negative));
    }
    let mut sum: i128 = 0;
    for (index, part) in parts.iter().enumerate() {
        if part.fen() < 0 {
            return Err(RuleError::new(
                format!("parts[{index}]"),
                RuleErrorKind::Negative,
            ));
        }
        sum += i128::from(part.fen());
    }
    if i128::from(total.fen()) > sum {
        return Err(RuleError::new("total", RuleErrorKind::AboveMaximum));
    }
    let weights: Vec<i128> = parts.iter().map(|part| i128::from(part.fen())).collect();
    Ok(largest_remainder(i128::from(total.fen()), &weights, sum)
        .into_iter()
        .map(|share| Money(i64::try_from(share).unwrap_or(i64::MAX)))
        .collect())
}

/// The core of the method on integers. `sum` is the sum of `weights`; all are
/// non-negative; a zero sum gives every part zero. Each share lies between the floor and
/// the ceiling of its exact share `total × weight / sum`.
pub(crate) fn largest_remainder(total: i128, weights: &[i128], sum: i128) -> Vec<i128> {
    if sum <= 0 || total <= 0 {
        return vec![0; weights.len()];
    }
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut given: i128 = 0;
    for (index, weight) in weights.iter().enumerate() {
        // total ≤ 10^18·500 and weight ≤ 10^18·500 keep the product within i128.
        let exact = total.saturating_mul(*weight);
        let share = exact / sum;
        shares.push(share);
        remainders.push((exact % sum, index));
        given += share;
    }
    let mut left = total - given;
    // Largest remainder first; on equal remainders the earlier part first.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (remainder, index) in remainders {
        if left <= 0 || remainder == 0 {
            break;
        }
        shares[index] += 1;
        left -= 1;
    }
    shares
}

/// The same method with decimal weights, for spreading a sale's whole points over its
/// lines in proportion to each line's unrounded points.
pub(crate) fn largest_remainder_decimal(total: i64, weights: &[Decimal]) -> Vec<i64> {
    let sum: Decimal = weights.iter().copied().sum();
    if sum <= Decimal::ZERO || total <= 0 {
        return vec![0; weights.len()];
    }
    let total_decimal = Decimal::from(total);
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut given: i64 = 0;
    for (index, weight) in weights.iter().enumerate() {
        let exact = total_decimal * *weight / sum;
        let floor = exact.floor();
        let share = floor.to_i64().unwrap_or(0).min(total);
        shares.push(share);
        remainders.push((exact - floor, index));
        given = given.saturating_add(share);
    }
    let mut left = total.saturating_sub(given);
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    // Decimal division may round the last digit, so a share whose exact value is whole
    // can show a tiny remainder; the count of units left is what bounds the loop.
    for (_, index) in remainders {
        if left <= 0 {
            break;
        }
        if weights[index] <= Decimal::ZERO {
            continue;
        }
        shares[index] += 1;
        left -= 1;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Refunding ¥100 of a spend paid ¥200 principal and ¥50 bonus returns ¥80 and ¥20.
    #[test]
    fn refund_returns_principal_and_bonus_in_proportion() {
        let shares = split_proportionally(Money(10_000), &[Money(20_000), Money(5_000)]);
        assert_eq!(shares, Ok(vec![Money(8_000), Money(2_000)]));
    }

    /// ¥0.10 over three equal parts gives 4 + 3 + 3 分: the leftover 分 goes to the first
    /// of the equal remainders, and the total is exact.
    #[test]
    fn leftover_fen_go_to_the_largest_remainders() {
        let shares = split_proportionally(Money(10), &[Money(100), Money(100), Money(100)]);
        assert_eq!(shares, Ok(vec![Money(4), Money(3), Money(3)]));
        let shares = split_proportionally(Money(10), &[Money(1), Money(2), Money(7)]);
        assert_eq!(shares, Ok(vec![Money(1), Money(2), Money(7)]));
        let shares = split_proportionally(Money(5), &[Money(3), Money(3), Money(4)]);
        // Exact shares 1.5, 1.5, 2.0.
        assert_eq!(shares, Ok(vec![Money(2), Money(1), Money(2)]));
    }

    /// Impossible splits are refused: a negative total or part, or more than the parts.
    #[test]
    fn impossible_splits_are_refused() {
        assert_eq!(
            split_proportionally(Money(-1), &[Money(5)]).map_err(|e| e.field),
            Err("total".to_owned())
        );
        assert_eq!(
            split_proportionally(Money(1), &[Money(5), Money(-1)]).map_err(|e| e.field),
            Err("parts[1]".to_owned())
        );
        assert_eq!(
            split_proportionally(Money(6), &[Money(5)]).map_err(|e| e.kind),
            Err(RuleErrorKind::AboveMaximum)
        );
        assert_eq!(split_proportionally(Money(0), &[]), Ok(vec![]));
        assert_eq!(
            split_proportionally(Money(0), &[Money(0), Money(0)]),
            Ok(vec![Money(0), Money(0)])
        );
    }

    /// Whole points spread over unrounded line points add up to the total.
    #[test]
    fn decimal_weights_spread_whole_points() {
        let weights = [Decimal::new(125, 1), Decimal::new(75, 1), Decimal::ZERO];
        // 20 points over 12.5 and 7.5: the tie on .5 goes to the earlier line.
        assert_eq!(largest_remainder_decimal(20, &weights), vec![13, 7, 0]);
        let thirds = [Decimal::ONE, Decimal::ONE, Decimal::ONE];
        assert_eq!(largest_remainder_decimal(10, &thirds), vec![4, 3, 3]);
        assert_eq!(largest_remainder_decimal(0, &thirds), vec![0, 0, 0]);
    }
}
