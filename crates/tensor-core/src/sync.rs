//! The lock that guards a storage: std's `RwLock` with threads, `spin`'s without (`no_std`).

#[cfg(feature = "std")]
mod imp {
    pub use std::sync::{RwLockReadGuard as ReadGuard, RwLockWriteGuard as WriteGuard};

    /// A reader-writer lock that ignores poisoning (a panic mid-kernel leaves plain numbers).
    #[derive(Debug, Default)]
    pub struct RwLock<T>(std::sync::RwLock<T>);

    impl<T> RwLock<T> {
        pub fn new(v: T) -> Self {
            RwLock(std::sync::RwLock::new(v))
        }
        pub fn read(&self) -> ReadGuard<'_, T> {
            self.0.read().unwrap_or_else(|e| e.into_inner())
        }
        pub fn write(&self) -> WriteGuard<'_, T> {
            self.0.write().unwrap_or_else(|e| e.into_inner())
        }
        pub fn get_mut(&mut self) -> &mut T {
            self.0.get_mut().unwrap_or_else(|e| e.into_inner())
        }
    }
}

#[cfg(not(feature = "std"))]
mod imp {
    pub use spin::{RwLockReadGuard as ReadGuard, RwLockWriteGuard as WriteGuard};

    /// A reader-writer spin lock for `no_std` builds.
    #[derive(Debug, Default)]
    pub struct RwLock<T>(spin::RwLock<T>);

    impl<T> RwLock<T> {
        pub fn new(v: T) -> Self {
            RwLock(spin::RwLock::new(v))
        }
        pub fn read(&self) -> ReadGuard<'_, T> {
            self.0.read()
        }
        pub fn write(&self) -> WriteGuard<'_, T> {
            self.0.write()
        }
        pub fn get_mut(&mut self) -> &mut T {
            self.0.get_mut()
        }
    }
}

pub use imp::*;
