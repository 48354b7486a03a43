//! How an error is told, in a log line or to an author: the error and each of its causes, once.
//!
//! Many errors repeat their cause in their own message (`cannot connect: connection refused`,
//! then the cause `connection refused`); printing the whole chain (`{:#}`) would say it twice.

use std::error::Error;

/// `error` and its causes on one line, `: `-separated, leaving out a cause whose text the line
/// already holds.
pub fn report(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !said.is_empty() && !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("storing {path}")]
    struct Outer {
        path: &'static str,
        #[source]
        source: Middle,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("cannot connect: {source}")]
    struct Middle {
        #[source]
        source: std::io::Error,
    }

    #[test]
    fn each_cause_is_said_once() {
        let error = Outer {
            path: "a.md",
            source: Middle {
                source: std::io::Error::other("connection refused"),
            },
        };
        assert_eq!(
            report(&error),
            "storing a.md: cannot connect: connection refused"
        );
    }
}
