use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match inbox_api::cli::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
