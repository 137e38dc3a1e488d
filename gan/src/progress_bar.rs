//! Progress bars on stderr: indicatif's with the `cli` feature; without it
//! (the library alone) a `Bar` draws nothing, so that the code showing
//! progress is the same either way.

/// A progress bar of `len` steps, or a hidden one.
pub struct Bar {
    #[cfg(feature = "cli")]
    pb: indicatif::ProgressBar,
}

impl Bar {
    /// A bar of `len` steps at `pos`, labelled `prefix`, in the style of
    /// every bar of `gan`: `prefix [=====>   ] pos/len elapsed<eta message`.
    pub fn new(len: usize, pos: usize, prefix: String) -> Bar {
        #[cfg(feature = "cli")]
        {
            use indicatif::{ProgressBar, ProgressStyle};
            let pb = ProgressBar::new(len as u64);
            let style = ProgressStyle::with_template(
                "{prefix} [{bar:28}] {pos}/{len} {elapsed}<{eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            pb.set_style(style);
            pb.set_prefix(prefix);
            pb.set_position(pos as u64);
            Bar { pb }
        }
        #[cfg(not(feature = "cli"))]
        {
            let _ = (len, pos, prefix);
            Bar {}
        }
    }

    /// A bar that is never drawn.
    pub fn hidden() -> Bar {
        Bar {
            #[cfg(feature = "cli")]
            pb: indicatif::ProgressBar::hidden(),
        }
    }

    /// Advance by `n` steps.
    pub fn inc(&self, n: u64) {
        #[cfg(feature = "cli")]
        self.pb.inc(n);
        #[cfg(not(feature = "cli"))]
        let _ = n;
    }

    /// The text after the bar.
    pub fn set_message(&self, msg: String) {
        #[cfg(feature = "cli")]
        self.pb.set_message(msg);
        #[cfg(not(feature = "cli"))]
        let _ = msg;
    }

    /// Remove the bar (its work is done).
    pub fn finish_and_clear(&self) {
        #[cfg(feature = "cli")]
        self.pb.finish_and_clear();
    }

    /// Leave the bar where it stopped (the work was cut short).
    pub fn abandon(&self) {
        #[cfg(feature = "cli")]
        self.pb.abandon();
    }
}
