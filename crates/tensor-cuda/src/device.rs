//! [`CudaDevice`]: one GPU — its context, the one stream every op of the process runs on, the
//! cuBLAS handle, and the loaded kernels — and the process-wide registry behind
//! [`crate::cuda`], [`crate::is_available`] and [`crate::device_count`].
//!
//! Everything is queued on a single non-blocking stream, so ops are ordered as they are called
//! and memory is allocated and freed stream-ordered (`cuMemAllocAsync`, the driver's pool);
//! cudarc's per-buffer event tracking is turned off, as one stream needs none.

use crate::error::{self, unsupported};
use crate::kernels::{self, Family};

use cudarc::cublas::CudaBlas;
use cudarc::driver::{CudaContext, CudaFunction, CudaModule, CudaStream};
use std::collections::HashMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use tensor_core::{Error, ErrorKind, Result, ResultExt};

/// One CUDA GPU, as a tensor-core backend device (`Device::External`).
pub struct CudaDevice {
    ordinal: usize,
    arch: String,
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    blas: Mutex<Option<CudaBlas>>,
    modules: Mutex<HashMap<Family, Arc<CudaModule>>>,
    functions: Mutex<HashMap<String, CudaFunction>>,
}

impl fmt::Debug for CudaDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CudaDevice(cuda:{}, {})", self.ordinal, self.arch)
    }
}

/// Locks a mutex, ignoring poisoning (the guarded caches stay valid after a panic).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether the CUDA driver library can be loaded (checked once per process).
pub(crate) fn driver_present() -> bool {
    static PRESENT: OnceLock<bool> = OnceLock::new();
    *PRESENT.get_or_init(|| {
        // SAFETY: `is_culib_present` only tries to open the driver library by its usual names.
        catch_unwind(|| unsafe { cudarc::driver::sys::is_culib_present() }).unwrap_or(false)
    })
}

/// Number of GPUs the driver reports; 0 without a driver or when it fails.
pub(crate) fn count() -> usize {
    if !driver_present() {
        return 0;
    }
    match catch_unwind(CudaContext::device_count) {
        Ok(Ok(n)) => usize::try_from(n).unwrap_or(0),
        _ => 0,
    }
}

/// The registry of opened devices, by ordinal.
fn registry() -> &'static Mutex<HashMap<usize, Arc<CudaDevice>>> {
    static DEVICES: OnceLock<Mutex<HashMap<usize, Arc<CudaDevice>>>> = OnceLock::new();
    DEVICES.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The device of `ordinal`, opened on first use.
#[track_caller]
pub(crate) fn open(ordinal: usize) -> Result<Arc<CudaDevice>> {
    if !driver_present() {
        return Err(Error::new(
            ErrorKind::Device,
            "cuda",
            "CUDA is not available: the NVIDIA driver library (libcuda) was not found",
        ));
    }
    let n = count();
    if ordinal >= n {
        return Err(Error::new(
            ErrorKind::Device,
            "cuda",
            format!("CUDA device {ordinal} is not available ({n} device(s) found)"),
        ));
    }
    let mut devices = lock(registry());
    if let Some(d) = devices.get(&ordinal) {
        return Ok(d.clone());
    }
    let dev = match catch_unwind(AssertUnwindSafe(|| CudaDevice::new(ordinal))) {
        Ok(r) => r?,
        Err(_) => {
            return Err(Error::new(ErrorKind::Device, "cuda", format!("opening CUDA device {ordinal} panicked")));
        }
    };
    let dev = Arc::new(dev);
    devices.insert(ordinal, dev.clone());
    Ok(dev)
}

impl CudaDevice {
    #[track_caller]
    fn new(ordinal: usize) -> Result<Self> {
        let op = "cuda";
        let ctx = CudaContext::new(ordinal).map_err(|e| error::driver(op, e)).located()?;
        // SAFETY: every buffer of this device is used on `stream` alone, so no cross-stream
        // synchronisation (what the events would provide) is ever needed.
        unsafe { ctx.disable_event_tracking() };
        let stream = ctx.new_stream().map_err(|e| error::driver(op, e)).located()?;
        let (major, minor) = ctx.compute_capability().map_err(|e| error::driver(op, e)).located()?;
        Ok(CudaDevice {
            ordinal,
            arch: format!("compute_{major}{minor}"),
            ctx,
            stream,
            blas: Mutex::new(None),
            modules: Mutex::new(HashMap::new()),
            functions: Mutex::new(HashMap::new()),
        })
    }

    /// The device ordinal.
    pub fn ordinal(&self) -> usize {
        self.ordinal
    }
    /// The GPU's name, as the driver reports it (`NVIDIA H100 80GB HBM3`).
    #[track_caller]
    pub fn gpu_name(&self) -> Result<String> {
        self.ctx.name().map_err(|e| error::driver("cuda", e)).located()
    }
    /// The stream every op runs on.
    pub(crate) fn stream(&self) -> &Arc<CudaStream> {
        &self.stream
    }
    /// Makes this device's context current on the calling thread (for raw library calls).
    #[track_caller]
    pub(crate) fn bind(&self, op: &'static str) -> Result<()> {
        self.ctx.bind_to_thread().map_err(|e| error::driver(op, e)).located()
    }

    /// The kernel `name` of `family`, compiling and loading the family on first use.
    #[track_caller]
    pub(crate) fn function(&self, family: Family, name: &str) -> Result<CudaFunction> {
        if let Some(f) = lock(&self.functions).get(name) {
            return Ok(f.clone());
        }
        let module = {
            let mut modules = lock(&self.modules);
            match modules.get(&family) {
                Some(m) => m.clone(),
                None => {
                    let ptx = kernels::ptx(family, &self.arch)?;
                    let m = self.ctx.load_module(ptx).map_err(|e| error::driver("load_module", e))?;
                    modules.insert(family, m.clone());
                    m
                }
            }
        };
        let f = module.load_function(name).map_err(|e| error::driver("load_function", e))?;
        lock(&self.functions).insert(name.to_string(), f.clone());
        Ok(f)
    }

    /// Runs `f` with this device's cuBLAS handle (created on first use; TF32 off).
    #[track_caller]
    pub(crate) fn with_blas<R>(&self, op: &'static str, f: impl FnOnce(&CudaBlas) -> Result<R>) -> Result<R> {
        let mut guard = lock(&self.blas);
        if guard.is_none() {
            // SAFETY: `is_culib_present` only tries to open the cuBLAS library.
            if !unsafe { cudarc::cublas::sys::is_culib_present() } {
                return Err(unsupported(op, "the cuBLAS library (libcublas) was not found"));
            }
            self.bind(op)?;
            let blas = CudaBlas::new(self.stream.clone()).map_err(|e| error::cublas(op, e)).located()?;
            // SAFETY: a valid handle; the default math mode keeps f32 products in full f32
            // (no TF32 tensor cores), as the CPU computes them.
            unsafe {
                cudarc::cublas::sys::cublasSetMathMode(
                    *blas.handle(),
                    cudarc::cublas::sys::cublasMath_t::CUBLAS_DEFAULT_MATH,
                )
            }
            .result()
            .map_err(|e| error::cublas(op, e))
            .located()?;
            *guard = Some(blas);
        }
        match guard.as_ref() {
            Some(blas) => {
                self.bind(op)?;
                f(blas)
            }
            None => Err(unsupported(op, "cuBLAS is not available")),
        }
    }
}

impl CudaDevice {
    /// The shared handle of this device (storages hold one).
    #[track_caller]
    pub(crate) fn handle(&self) -> Result<Arc<CudaDevice>> {
        lock(registry())
            .get(&self.ordinal)
            .cloned()
            .ok_or_else(|| Error::new(ErrorKind::Device, "cuda", format!("cuda:{} is not open", self.ordinal)))
            .located()
    }
}
