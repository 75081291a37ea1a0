//! The op families of [`crate::CudaStorage`], one file each, mirroring tensor-core's
//! `ops/<family>/cpu.rs`: each validates dtypes, plans the strided walk and launches a kernel.

pub(crate) mod attention;
pub(crate) mod binary;
pub(crate) mod conv;
pub(crate) mod copy;
pub(crate) mod index;
pub(crate) mod matmul;
pub(crate) mod norm;
pub(crate) mod optim;
pub(crate) mod pool;
pub(crate) mod random;
pub(crate) mod reduce;
pub(crate) mod sort;
pub(crate) mod unary;

/// Launches kernel `$name` of `$family` on `$dev`'s stream with launch config `$cfg` and the
/// given argument references (in the kernel's parameter order); errors name `$op`.
///
/// Every call site must pass arguments whose types match the kernel's C signature: device
/// pointers as `u64`, sizes as `i64`, layouts as `KDims` / `KStrides`.
macro_rules! launch {
    ($dev:expr, $family:expr, $name:expr, $cfg:expr, $op:expr; $($arg:expr),* $(,)?) => {{
        use cudarc::driver::PushKernelArg as _;
        let func = $dev.function($family, &$name)?;
        let mut builder = $dev.stream().launch_builder(&func);
        $( builder.arg($arg); )*
        // SAFETY: the arguments match the kernel's parameters (see each call site); every
        // pointer addresses a live buffer of this device large enough for the planned walk
        // (layouts come checked from tensor-core), and buffers are freed in stream order, so
        // they outlive the kernel.
        ::tensor_core::ResultExt::located(unsafe { builder.launch($cfg) }.map(|_| ()).map_err(|e| $crate::error::driver($op, e)))
    }};
}
pub(crate) use launch;
