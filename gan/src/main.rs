//! `gan`: train the tutorials' GANs, or sample from a checkpoint. Errors are
//! printed as `error: ...` with a non-zero exit, never as a panic.

use clap::Parser;
use gan::cli::{Cli, Command};
use gan::train::observe::interrupt::install_ctrlc_handler;
use gan::Error;

fn main() {
    // Reuse freed tensor memory instead of mapping fresh pages per step.
    tensor::tune_malloc();
    let cli = Cli::parse();
    // On a pool worker, so that each parallel kernel wakes one thread fewer.
    let result = kernels::on_pool(|| match &cli.command {
        Some(Command::Sample(a)) => gan::sample::sample(&a.options()),
        Some(Command::Eval(a)) => gan::eval::command::run(&a.options()?),
        Some(Command::Train(a)) => run_train(a),
        None => run_train(&cli.train),
    });
    if let Err(e) = result {
        match &e {
            Error::Interrupted(msg) => eprintln!("{msg}"),
            _ => eprintln!("error: {e}"),
        }
        std::process::exit(e.exit_code());
    }
}

fn run_train(a: &gan::cli::TrainArgs) -> gan::Result<()> {
    install_ctrlc_handler();
    gan::train::train(&a.options()).map(|_| ())
}
