//! `gan`: train the tutorials' GANs, or sample from a checkpoint. Errors are
//! printed as `error: ...` with a non-zero exit, never as a panic.

use clap::Parser;
use gan::cli::{Cli, Command};
use gan::{train::train_loop, Error};

fn main() {
    // Reuse freed tensor memory instead of mapping fresh pages per step.
    tensor::tune_malloc();
    let cli = Cli::parse();
    // On a pool worker, so that each parallel kernel wakes one thread fewer.
    let result = kernels::on_pool(|| match &cli.command {
        Some(Command::Sample(a)) => gan::sample::sample(a),
        Some(Command::Eval(a)) => gan::eval::command::run_cli(a),
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
    train_loop::install_ctrlc_handler();
    train_loop::train(a).map(|_| ())
}
