//! Initial passwords for accounts an operator creates (R-PW-3): sent by
//! post in the initial-password letter, changed at the first login.
//!
//! The password is random and meets the tenant's composition rules by
//! construction (R-PW-2): one character of every class, the rest from all
//! classes, shuffled. Characters that are easily confused on paper (`0 O o
//! 1 l I`) are left out, since the user types it from a letter. Length is the
//! policy minimum for a password without a second factor, at least 12.
//! Callers still check the result against the whole policy (block list,
//! username) and draw again in the rare case it is refused.

use pforte_policy::{CharClass, ClassRule, PasswordPolicy, SpecialCharacters};

const UPPER: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijkmnpqrstuvwxyz";
const DIGITS: &str = "23456789";
/// Specials used when the policy allows any; chosen to be easy to type on
/// German and English keyboards.
const SPECIALS: &str = "#+-?!%=";
/// The shortest initial password, whatever the policy allows.
const MIN_LENGTH: usize = 12;

/// The alphabet of a class under the policy; `None` when the policy allows
/// no character of it (a special class restricted to nothing).
fn alphabet(class: CharClass, policy: &PasswordPolicy) -> Option<Vec<char>> {
    let chars: Vec<char> = match class {
        CharClass::Upper => UPPER.chars().collect(),
        CharClass::Lower => LOWER.chars().collect(),
        CharClass::Digit => DIGITS.chars().collect(),
        CharClass::Special => match &policy.special_characters {
            SpecialCharacters::Any => SPECIALS.chars().collect(),
            SpecialCharacters::Only(allowed) => allowed
                .iter()
                .copied()
                .filter(|c| !c.is_whitespace() && !matches!(c, '\'' | '"' | '`' | '|'))
                .collect(),
        },
    };
    (!chars.is_empty()).then_some(chars)
}

/// A uniform choice below `bound` from 32-bit random values (rejection
/// sampling, so no value is favoured).
fn below(bound: usize, next: &mut impl FnMut() -> u32) -> usize {
    let bound32 = u32::try_from(bound).unwrap_or(u32::MAX).max(1);
    let zone = u32::MAX - (u32::MAX % bound32);
    loop {
        let value = next();
        if value < zone {
            return usize::try_from(value % bound32).unwrap_or(0);
        }
    }
}

/// An initial password under `policy`, from the random source `next`.
pub fn generate(policy: &PasswordPolicy, mut next: impl FnMut() -> u32) -> String {
    let length = policy
        .min_length
        .max(MIN_LENGTH)
        .min(policy.max_length.max(MIN_LENGTH));
    // Specials only where the policy asks for them: they are the hardest to
    // type, and letters and digits alone are enough for the entropy.
    let wants_special = match &policy.classes {
        ClassRule::None => false,
        ClassRule::AllOf(classes) | ClassRule::AtLeast { of: classes, .. } => {
            classes.contains(&CharClass::Special)
        }
    };
    let mut classes = vec![CharClass::Upper, CharClass::Lower, CharClass::Digit];
    if wants_special {
        classes.push(CharClass::Special);
    }
    let alphabets: Vec<Vec<char>> = classes
        .iter()
        .filter_map(|class| alphabet(*class, policy))
        .collect();
    let all: Vec<char> = alphabets.iter().flatten().copied().collect();
    let mut chars: Vec<char> = alphabets
        .iter()
        .map(|alphabet| alphabet[below(alphabet.len(), &mut next)])
        .collect();
    while chars.len() < length {
        chars.push(all[below(all.len(), &mut next)]);
    }
    // Fisher–Yates, so the guaranteed characters are not always in front.
    for i in (1..chars.len()).rev() {
        let j = below(i + 1, &mut next);
        chars.swap(i, j);
    }
    chars.into_iter().collect()
}

/// An initial password from the operating system's random source.
pub fn generate_random(policy: &PasswordPolicy) -> String {
    generate(policy, || {
        u32::from_le_bytes(pforte_crypto::random::random_bytes::<4>())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pforte_policy::PasswordContext;
    use std::collections::BTreeSet;

    fn counter() -> impl FnMut() -> u32 {
        let mut state: u32 = 0x9E37_79B9;
        move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        }
    }

    #[test]
    fn r_pw_3_initial_passwords_satisfy_a_three_of_four_policy_with_few_specials() {
        let policy = PasswordPolicy {
            min_length: 8,
            classes: ClassRule::AllOf(CharClass::ALL.to_vec()),
            special_characters: SpecialCharacters::Only(BTreeSet::from(['?', '!', '_'])),
            ..PasswordPolicy::default()
        };
        let mut next = counter();
        for _ in 0..200 {
            let password = generate(&policy, &mut next);
            assert_eq!(password.chars().count(), 12);
            assert_eq!(
                policy.evaluate(&password, &PasswordContext::default()),
                Ok(()),
                "{password}"
            );
            assert!(
                !password.contains(['0', 'O', 'o', '1', 'l', 'I']),
                "{password}"
            );
        }
    }

    #[test]
    fn r_pw_3_initial_passwords_follow_the_default_length() {
        let policy = PasswordPolicy::default();
        let password = generate(&policy, counter());
        assert_eq!(password.chars().count(), 15);
        assert_eq!(
            policy.evaluate(&password, &PasswordContext::default()),
            Ok(())
        );
        assert!(password.chars().all(char::is_alphanumeric));
    }

    #[test]
    fn r_pw_3_random_initial_passwords_differ() {
        let policy = PasswordPolicy::default();
        assert_ne!(generate_random(&policy), generate_random(&policy));
    }
}
