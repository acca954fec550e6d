//! The `kube-ecs` command: operator, CRD generator, importer and local development cluster.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = kube_ecs::cli::Cli::parse();
    match kube_ecs::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kube-ecs: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
