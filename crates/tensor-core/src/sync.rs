//! The lock that guards a storage, and the rules that keep it from deadlocking.
//!
//! With threads (`std`) it is parking_lot's reader-writer lock plus a thread-local record of
//! the storages this thread holds and how (see [`Borrows`]):
//! - a thread asking to write a storage it already borrows (an `as_slice` guard alive, inside
//!   `with_mut_slice`, an ndarray view) gets a [`Borrow`](crate::ErrorKind::Borrow) error
//!   naming the borrow, instead of waiting forever on itself;
//! - a thread asking to read a storage it already reads takes a recursive read, which never
//!   queues behind another thread's waiting writer (a plain read would, and that writer waits
//!   for this thread: a deadlock);
//! - a thread reading a storage it writes gets a Borrow error.
//!
//! Ops that lock several storages (`copy_`, in-place binary ops, `*_out` forms) take them in
//! one global order, by address (`Tensor::write_reading`), so two threads writing each other's
//! sources cannot deadlock.
//!
//! Without threads (`no_std`) it is `spin`'s lock, and any lock that is taken already is a
//! Borrow error at once: with one thread, waiting could never end.

use crate::Result;

/// How a storage is held, for the error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    Read,
    Write,
}

#[cold]
#[inline(never)]
#[track_caller]
fn conflict(op: &'static str, held: Held, want: Held) -> crate::Error {
    let held = match held {
        Held::Read => "borrowed for reading (an `as_slice` guard or ndarray view still alive?)",
        Held::Write => "borrowed for writing (inside `with_mut_slice` or an ndarray view?)",
    };
    let want = if want == Held::Read { "read" } else { "write to" };
    crate::err!(
        Borrow,
        op,
        "cannot {} a tensor whose storage this thread has {}; drop that borrow first (waiting would never end)",
        want,
        held
    )
}

#[cfg(feature = "std")]
mod imp {
    use super::*;
    use core::cell::RefCell;
    use smallvec::SmallVec;

    /// This thread's borrows: (storage lock address, readers, writer).
    #[derive(Debug, Default)]
    struct Borrows(SmallVec<[(usize, u32, bool); 4]>);

    thread_local! {
        static BORROWS: RefCell<Borrows> = const { RefCell::new(Borrows(SmallVec::new_const())) };
    }

    /// Records a borrow of `key` by this thread (one thread-local access per lock): `Ok(true)`
    /// when this thread reads it already (the lock must then be taken recursively), or the
    /// error for a borrow that would wait on this thread itself. Recorded before the lock is
    /// taken: only this thread reads its record.
    #[inline]
    #[track_caller]
    fn claim(op: &'static str, key: usize, want: Held) -> Result<bool> {
        BORROWS.with(|b| {
            let mut b = b.borrow_mut();
            match b.0.iter_mut().find(|e| e.0 == key) {
                None => {
                    b.0.push((key, u32::from(want == Held::Read), want == Held::Write));
                    Ok(false)
                }
                Some(e) if e.2 => Err(conflict(op, Held::Write, want)),
                Some(_) if want == Held::Write => Err(conflict(op, Held::Read, want)),
                Some(e) => {
                    e.1 += 1;
                    Ok(true)
                }
            }
        })
    }
    #[inline]
    fn leave(key: usize, write: bool) {
        // `try_with`: a guard dropped while the thread's locals are torn down.
        let _ = BORROWS.try_with(|b| {
            let mut b = b.borrow_mut();
            // Guards mostly go in the order they came: the newest entry first.
            if let Some(i) = b.0.iter().rposition(|e| e.0 == key) {
                let e = &mut b.0[i];
                if write || e.1 <= 1 {
                    b.0.swap_remove(i);
                } else {
                    e.1 -= 1;
                }
            }
        });
    }

    /// A reader-writer lock that knows which storages the current thread holds.
    #[derive(Debug, Default)]
    pub struct RwLock<T>(pub(super) parking_lot::RwLock<T>);

    /// Shared access; leaves this thread's record when dropped.
    #[derive(Debug)]
    pub struct ReadGuard<'a, T> {
        guard: parking_lot::RwLockReadGuard<'a, T>,
        key: usize,
    }
    /// Exclusive access; leaves this thread's record when dropped.
    #[derive(Debug)]
    pub struct WriteGuard<'a, T> {
        guard: parking_lot::RwLockWriteGuard<'a, T>,
        key: usize,
    }

    impl<T> RwLock<T> {
        pub fn new(v: T) -> Self {
            RwLock(parking_lot::RwLock::new(v))
        }
        fn key(&self) -> usize {
            self as *const Self as usize
        }
        /// Shared access for `op`; recursive when this thread reads it already.
        #[track_caller]
        pub fn read(&self, op: &'static str) -> Result<ReadGuard<'_, T>> {
            let key = self.key();
            let guard = if claim(op, key, Held::Read)? { self.0.read_recursive() } else { self.0.read() };
            Ok(ReadGuard { guard, key })
        }
        /// Exclusive access for `op`; an error when this thread holds it in any way.
        #[track_caller]
        pub fn write(&self, op: &'static str) -> Result<WriteGuard<'_, T>> {
            let key = self.key();
            claim(op, key, Held::Write)?;
            Ok(WriteGuard { guard: self.0.write(), key })
        }
        pub fn get_mut(&mut self) -> &mut T {
            self.0.get_mut()
        }
    }

    impl<T> Drop for ReadGuard<'_, T> {
        fn drop(&mut self) {
            leave(self.key, false);
        }
    }
    impl<T> Drop for WriteGuard<'_, T> {
        fn drop(&mut self) {
            leave(self.key, true);
        }
    }
    impl<T> core::ops::Deref for ReadGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            &self.guard
        }
    }
    impl<T> core::ops::Deref for WriteGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            &self.guard
        }
    }
    impl<T> core::ops::DerefMut for WriteGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            &mut self.guard
        }
    }

    /// Whether a lock is free of this thread's borrows (tests).
    #[cfg(test)]
    pub(crate) fn thread_holds_none() -> bool {
        BORROWS.with(|b| b.borrow().0.is_empty())
    }
}

#[cfg(not(feature = "std"))]
mod imp {
    use super::*;
    pub use spin::{RwLockReadGuard as ReadGuard, RwLockWriteGuard as WriteGuard};

    /// A reader-writer spin lock for `no_std` builds: one thread, so a lock that is taken
    /// already is an error at once.
    #[derive(Debug, Default)]
    pub struct RwLock<T>(spin::RwLock<T>);

    impl<T> RwLock<T> {
        pub fn new(v: T) -> Self {
            RwLock(spin::RwLock::new(v))
        }
        #[track_caller]
        pub fn read(&self, op: &'static str) -> Result<ReadGuard<'_, T>> {
            match self.0.try_read() {
                Some(g) => Ok(g),
                None => Err(conflict(op, Held::Write, Held::Read)),
            }
        }
        #[track_caller]
        pub fn write(&self, op: &'static str) -> Result<WriteGuard<'_, T>> {
            match self.0.try_write() {
                Some(g) => Ok(g),
                None if self.0.reader_count() > 0 => Err(conflict(op, Held::Read, Held::Write)),
                None => Err(conflict(op, Held::Write, Held::Write)),
            }
        }
        pub fn get_mut(&mut self) -> &mut T {
            self.0.get_mut()
        }
    }
}

pub use imp::*;

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    #[test]
    fn nested_reads_and_a_write_under_a_read_on_one_thread() {
        let lock = RwLock::new(5);
        let a = lock.read("a").unwrap();
        let b = lock.read("b").unwrap();
        let e = lock.write("add_").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Borrow);
        assert!(e
            .to_string()
            .starts_with("add_: cannot write to a tensor whose storage this thread has borrowed for reading"));
        drop(a);
        assert!(lock.write("add_").is_err(), "one reader is left");
        drop(b);
        assert!(thread_holds_none());
        let mut w = lock.write("fill_").unwrap();
        *w = 6;
        assert_eq!(lock.read("sum").unwrap_err().kind(), crate::ErrorKind::Borrow);
        drop(w);
        assert_eq!(*lock.read("sum").unwrap(), 6);
    }

    /// A recursive read never queues behind another thread's waiting writer (which waits for
    /// this thread's first read): with a plain read this test hangs.
    #[test]
    fn a_nested_read_does_not_wait_behind_a_queued_writer() {
        let lock = std::sync::Arc::new(RwLock::new(0));
        let first = lock.read("first").unwrap();
        let writer = {
            let lock = lock.clone();
            std::thread::spawn(move || *lock.write("writer").unwrap() += 1)
        };
        // Wait until the writer is queued (parking_lot then refuses new plain readers).
        while lock.0.try_read().is_some() {
            std::thread::yield_now();
        }
        let second = lock.read("second").unwrap();
        assert_eq!(*second, 0);
        drop((first, second));
        writer.join().unwrap();
        assert_eq!(*lock.read("after").unwrap(), 1);
    }
}
