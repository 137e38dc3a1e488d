//! A thread-local switch that stops graph recording, as `torch.no_grad()`.

use std::cell::Cell;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Whether ops on this thread record the graph now: true unless a
/// [`NoGradGuard`] (or [`no_grad`]) is active. Ops on vars that need
/// gradients record a backward node only when it is.
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Disables recording until dropped, then restores the previous state.
pub struct NoGradGuard {
    prev: bool,
}

impl NoGradGuard {
    /// Stop recording on this thread until the guard is dropped.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        let prev = GRAD_ENABLED.with(|g| g.replace(false));
        NoGradGuard { prev }
    }
}

impl Drop for NoGradGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|g| g.set(self.prev));
    }
}

/// Run `f` without recording a graph.
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _g = NoGradGuard::new();
    f()
}

/// Sets recording on or off until dropped (`torch.set_grad_enabled`); the
/// backward engine runs first-order rules with it off and `create_graph`
/// rules with it on.
pub(crate) struct GradModeGuard {
    prev: bool,
}

impl GradModeGuard {
    pub(crate) fn set(enabled: bool) -> Self {
        let prev = GRAD_ENABLED.with(|g| g.replace(enabled));
        GradModeGuard { prev }
    }
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|g| g.set(self.prev));
    }
}
