//! Errors of loading a policy file. Every problem names the TOML key it is
//! about, so an operator can fix the file without reading code; all problems of
//! a file are reported at once.

use std::fmt;

/// One rejected setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted TOML key, e.g. `password.composition.at_least`.
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.key, self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Not TOML, an unknown key or a value of the wrong type; the text comes
    /// from the parser and names line, column and key.
    #[error("policy file cannot be read: {0}")]
    Syntax(String),
    /// Well-formed but impossible or unsafe settings.
    #[error("policy is not valid: {}", join_problems(.0))]
    Invalid(Vec<Problem>),
}

impl PolicyError {
    /// The problems of an [`PolicyError::Invalid`] error (empty for syntax errors).
    pub fn problems(&self) -> &[Problem] {
        match self {
            Self::Invalid(problems) => problems,
            Self::Syntax(_) => &[],
        }
    }

    /// Whether any problem concerns `key`.
    pub fn mentions(&self, key: &str) -> bool {
        match self {
            Self::Invalid(problems) => problems.iter().any(|problem| problem.key == key),
            Self::Syntax(text) => text.contains(key),
        }
    }
}

fn join_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
