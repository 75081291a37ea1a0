//! The one error type of the workspace: every fallible op names itself, the shapes and the dims.

use alloc::string::String;
use core::fmt;

/// What kind of mistake an [`Error`] reports; its message says the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Shapes that do not fit together (broadcasting, matmul, view, cat, ...).
    Shape,
    /// A dimension index out of range, or repeated.
    Dim,
    /// A dtype the op does not take, or two dtypes that do not match.
    DType,
    /// Tensors on different devices, or a device that is not available.
    Device,
    /// An index out of range (select, gather, scatter, index_select, ...).
    Index,
    /// A bad argument value (a negative size, a zero step, `item()` on many elements, ...).
    Value,
    /// Something this backend or build does not support.
    Unsupported,
    /// Reading or writing a file or buffer.
    Io,
    /// Autograd: a freed graph, a modified saved tensor, a leaf modified in place, ...
    Autograd,
    /// An allocation the system could not satisfy (the message says how many bytes).
    OutOfMemory,
    /// A storage this thread already borrows (an `as_slice` guard, a `with_mut_slice`
    /// closure, an ndarray view) was asked for in a way that would wait forever.
    Borrow,
}

/// An error raised by a tensor op: its kind, the op's name and a message with the shapes.
///
/// `Display` prints `op: message`, e.g. `add: shapes [2, 3] and [4] cannot be broadcast`, and
/// so does `Debug` (the `{:?}` of `unwrap` and of `fn main() -> Result<()>`), adding the kind
/// in the alternate form `{:#?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    op: &'static str,
    message: String,
}

impl Error {
    /// A new error of `kind`, raised by `op`.
    #[cold]
    pub fn new(kind: ErrorKind, op: &'static str, message: impl Into<String>) -> Self {
        Self { kind, op, message: message.into() }
    }
    /// [`bail!`] and [`err!`]'s constructor: the message is formatted here, out of line and
    /// marked cold, so that an op's error paths cost its hot path one call, not a `format!`.
    #[doc(hidden)]
    #[cold]
    #[inline(never)]
    pub fn from_args(kind: ErrorKind, op: &'static str, message: core::fmt::Arguments<'_>) -> Self {
        Self { kind, op, message: alloc::fmt::format(message) }
    }
    /// What kind of mistake this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    /// The name of the op that raised it.
    pub fn op(&self) -> &'static str {
        self.op
    }
    /// The message, without the op's name.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.op, self.message)
    }
}

impl fmt::Debug for Error {
    /// The readable text of `Display`, so that an `unwrap` or a `main` that returns the error
    /// prints what went wrong, not the struct; `{:#?}` adds the kind.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            write!(f, "{:?} error in {}: {}", self.kind, self.op, self.message)
        } else {
            fmt::Display::fmt(self, f)
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// The workspace's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Returns early with an [`Error`] built like `format!`: `bail!(Shape, "view", "shape {:?} is invalid", s)`.
#[macro_export]
macro_rules! bail {
    ($kind:ident, $op:expr, $($arg:tt)*) => {
        return Err($crate::Error::from_args($crate::ErrorKind::$kind, $op, ::core::format_args!($($arg)*)))
    };
}

/// Builds an [`Error`] like `format!`: `err!(Dim, "select", "dim {} out of range", d)`.
#[macro_export]
macro_rules! err {
    ($kind:ident, $op:expr, $($arg:tt)*) => {
        $crate::Error::from_args($crate::ErrorKind::$kind, $op, ::core::format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn debug_prints_the_readable_text() {
        let e = Error::new(ErrorKind::Shape, "matmul", "mat1 and mat2 shapes cannot be multiplied (5x3 and 5x3)");
        assert_eq!(format!("{e:?}"), "matmul: mat1 and mat2 shapes cannot be multiplied (5x3 and 5x3)");
        assert_eq!(format!("{e:?}"), format!("{e}"));
        assert_eq!(format!("{e:#?}"), "Shape error in matmul: mat1 and mat2 shapes cannot be multiplied (5x3 and 5x3)");
    }
}
