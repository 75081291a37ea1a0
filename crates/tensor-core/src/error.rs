//! The one error type of the workspace: every fallible op names itself, the shapes and the dims,
//! and the line of the caller's code that called it.

use alloc::string::String;
use core::fmt;
use core::panic::Location;

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

/// An error raised by a tensor op: its kind, the op's name, a message with the shapes, and the
/// caller's file, line and column.
///
/// `Display` prints `op: message at file:line:col`, e.g.
/// `add: shapes [2, 3] and [4] cannot be broadcast at src/model.rs:42:17`, and so does `Debug`
/// (the `{:?}` of `unwrap` and of `fn main() -> Result<()>`), adding the kind in the alternate
/// form `{:#?}`. Two errors are equal when their kind, op and message are: the location is not
/// compared.
///
/// ```
/// use tensor_core::{DType, Device, Tensor};
/// let a = Tensor::zeros([5, 3], DType::F32, &Device::Cpu)?;
/// let e = a.matmul(&a).unwrap_err();
/// let at = e.location().unwrap();
/// assert_eq!((at.file(), at.line()), (file!(), line!() - 2));
/// assert!(e.to_string().starts_with("matmul: mat1 and mat2 shapes cannot be multiplied (5x3 and 5x3)"));
/// assert!(format!("{e:?}").ends_with(&format!(" at {}:{}:{}", at.file(), at.line(), at.column())));
/// # Ok::<(), tensor_core::Error>(())
/// ```
///
/// # Where an error was raised
/// The constructors are `#[track_caller]`, and so is every function of the workspace that
/// returns a [`Result`]: the location an error records is the first frame up the stack that is
/// not `#[track_caller]`, the user's call of the public op (`x.matmul(&w)?` in `model.rs`), not
/// a line inside the library. Closures cannot be `#[track_caller]`: a function that runs a
/// closure which may fail passes its result through [`ResultExt::located`], which moves the
/// location up to its own caller. An op built on another one renames the error with
/// [`in_op`](Self::in_op) (`softmax`, not the `amax` it calls).
///
/// A `#[track_caller]` method called through a trait object whose trait does not declare it
/// `#[track_caller]` is located at its own definition; a caller that knows this (a container
/// of `dyn` layers) moves the location up with `located`.
#[derive(Clone)]
pub struct Error {
    kind: ErrorKind,
    op: &'static str,
    message: String,
    location: Option<&'static Location<'static>>,
}

impl Error {
    /// A new error of `kind`, raised by `op`, located at the caller (see [`Error`]).
    #[cold]
    #[track_caller]
    pub fn new(kind: ErrorKind, op: &'static str, message: impl Into<String>) -> Self {
        Self { kind, op, message: message.into(), location: Some(Location::caller()) }
    }
    /// [`bail!`] and [`err!`]'s constructor: the message is formatted here, out of line and
    /// marked cold, so that an op's error paths cost its hot path one call, not a `format!`.
    #[doc(hidden)]
    #[cold]
    #[inline(never)]
    #[track_caller]
    pub fn from_args(kind: ErrorKind, op: &'static str, message: core::fmt::Arguments<'_>) -> Self {
        Self { kind, op, message: alloc::fmt::format(message), location: Some(Location::caller()) }
    }
    /// This error, located at the caller instead (of the function that calls this one, when
    /// that function is `#[track_caller]` too, and so on up).
    #[cold]
    #[inline(never)]
    #[track_caller]
    #[must_use]
    pub fn at_caller(self) -> Self {
        self.at(Location::caller())
    }
    /// This error, located at `location`.
    #[must_use]
    pub fn at(mut self, location: &'static Location<'static>) -> Self {
        self.location = Some(location);
        self
    }
    /// This error, raised by `op` instead: an op built on another one names itself, as the
    /// user called it (`softmax`, not the `amax` it computes with).
    #[cold]
    #[must_use]
    pub fn in_op(mut self, op: &'static str) -> Self {
        self.op = op;
        self
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
    /// Where the op that raised it was called: the caller's file, line and column.
    pub fn location(&self) -> Option<&'static Location<'static>> {
        self.location
    }
}

impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        (self.kind, self.op, &self.message) == (other.kind, other.op, &other.message)
    }
}

impl Eq for Error {}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.op, self.message)?;
        match self.location {
            Some(l) => write!(f, " at {}:{}:{}", l.file(), l.line(), l.column()),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for Error {
    /// The readable text of `Display`, so that an `unwrap` or a `main` that returns the error
    /// prints what went wrong, not the struct; `{:#?}` adds the kind.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            write!(f, "{:?} error in ", self.kind)?;
        }
        fmt::Display::fmt(self, f)
    }
}

/// [`Error::at_caller`] and [`Error::in_op`] on a [`Result`]'s error.
pub trait ResultExt: Sized {
    /// `self`, its error located at the caller: for a `#[track_caller]` function that runs a
    /// closure (closures cannot be `#[track_caller]`, so an error raised inside one is located
    /// in the closure).
    #[track_caller]
    fn located(self) -> Self;
    /// `self`, its error raised by `op` instead (an op built on another one names itself).
    fn in_op(self, op: &'static str) -> Self;
}

impl<T> ResultExt for Result<T> {
    #[inline]
    #[track_caller]
    fn located(self) -> Self {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(e.at_caller()),
        }
    }
    #[inline]
    fn in_op(self, op: &'static str) -> Self {
        self.map_err(|e| e.in_op(op))
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
        let line = line!() - 1;
        let at = e.location().expect("located");
        assert_eq!((at.file(), at.line(), at.column()), (file!(), line, 17));
        let text = format!("matmul: mat1 and mat2 shapes cannot be multiplied (5x3 and 5x3) at {}:{line}:17", file!());
        assert_eq!(format!("{e}"), text);
        assert_eq!(format!("{e:?}"), text);
        assert_eq!(format!("{e:#?}"), format!("Shape error in {text}"));
    }

    #[test]
    fn at_caller_moves_the_location_and_in_op_renames() {
        #[track_caller]
        fn public_op() -> Result<()> {
            Err(Error::new(ErrorKind::Value, "amax", "bad")).located().in_op("softmax")
        }
        let (e, line) = (public_op().unwrap_err(), line!());
        assert_eq!((e.op(), e.location().map(|l| (l.file(), l.line()))), ("softmax", Some((file!(), line))));
        let other = Error::new(ErrorKind::Value, "softmax", "bad");
        assert_eq!(e, other, "the location is not compared");
    }
}
