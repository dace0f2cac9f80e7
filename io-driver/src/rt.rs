//! Installing the driver on a runtime. Hidden: users get it through
//! `wakeful::runtime::Builder`, which calls [`IoDriver::install`] in `build()`.
use crate::driver::Driver;
use crate::park::Parker;
use std::fmt;
use std::io;
use std::ops::Deref;
use std::sync::Arc;
use wakeful_executor::runtime::{Builder, Runtime};

/// The reactor and timer wheel of one runtime.
pub struct IoDriver {
    driver: Arc<Driver>,
}

impl IoDriver {
    /// A new reactor (an epoll instance and its waker) with an empty timer wheel.
    ///
    /// # Errors
    /// If the OS refuses the epoll instance or the eventfd.
    pub fn new() -> io::Result<IoDriver> {
        Ok(IoDriver {
            driver: Arc::new(Driver::new()?),
        })
    }

    /// Makes `builder`'s workers park in this driver and attaches it to the runtime, so
    /// sockets and timers created inside the runtime find it. Install one driver per
    /// runtime, on a fresh builder.
    pub fn install(&self, builder: &mut Builder) {
        let driver = self.driver.clone();
        builder.on_park(move |_worker| Box::new(Parker::new(driver.clone())));
        builder.extension(self.driver.clone());
    }

    /// Fails every registered socket and timer; call after the runtime's workers stopped.
    /// Idempotent.
    pub fn shutdown(&self) {
        self.driver.shutdown();
    }
}

impl fmt::Debug for IoDriver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoDriver")
            .field("driver", &self.driver)
            .finish()
    }
}

/// A two-worker runtime with the driver installed, for this crate's examples and tests.
pub fn doc_runtime() -> DocRuntime {
    let io = IoDriver::new().expect("I/O driver");
    let mut builder = Builder::new_multi_thread();
    builder.worker_threads(2);
    io.install(&mut builder);
    DocRuntime {
        rt: Some(builder.build().expect("runtime")),
        io,
    }
}

/// The runtime of [`doc_runtime`]: dereferences to the executor's `Runtime`, and shuts the
/// driver down after it when dropped.
#[derive(Debug)]
pub struct DocRuntime {
    rt: Option<Runtime>,
    io: IoDriver,
}

impl Deref for DocRuntime {
    type Target = Runtime;
    fn deref(&self) -> &Runtime {
        self.rt.as_ref().expect("runtime present until drop")
    }
}

impl Drop for DocRuntime {
    fn drop(&mut self) {
        drop(self.rt.take());
        self.io.shutdown();
    }
}
