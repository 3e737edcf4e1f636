//! A service's command line: [`service_cli!`](crate::service_cli) declares its `Cli` (the
//! settings, then an optional subcommand: `serve` when omitted, `migrate`, and the service's own
//! operator commands), and [`say`] writes an operator command's output.

use std::io::Write as _;

/// Declares a service binary's `Cli` (its `Config` flattened, then an optional `Command`) and
/// its `Command` enum: `Serve` (the default, with the service's own help), `Migrate` (apply
/// database migrations and exit), then the service's own subcommands, written as enum
/// variants. The calling crate needs `clap` (derive).
///
/// ```
/// #[derive(clap::Args, Debug, Clone)]
/// struct Config {
///     /// A setting.
///     #[arg(long, default_value = "x")]
///     setting: String,
/// }
///
/// penny_runtime::service_cli! {
///     name = "penny-example";
///     about = "An example service.";
///     config = Config;
///     /// Run the service (gRPC, consumer). The default.
///     Serve,
///     commands {
///         /// Do something else and exit.
///         Other,
///     }
/// }
///
/// use clap::Parser as _;
/// assert_eq!(Cli::try_parse_from(["penny-example"]).unwrap().command, None);
/// let cli = Cli::try_parse_from(["penny-example", "migrate"]).unwrap();
/// assert_eq!(cli.command, Some(Command::Migrate));
/// let cli = Cli::try_parse_from(["penny-example", "other"]).unwrap();
/// assert_eq!(cli.command, Some(Command::Other));
/// ```
#[macro_export]
macro_rules! service_cli {
    (
        name = $bin:literal;
        about = $about:literal;
        config = $config:ty;
        $(#[$serve_doc:meta])*
        Serve,
        commands { $($commands:tt)* }
    ) => {
        #[doc = concat!("`", $bin, "`.")]
        #[derive(::clap::Parser, Debug)]
        #[command(name = $bin, version, about = $about)]
        pub struct Cli {
            /// Settings (flags or PENNY_* environment variables).
            #[command(flatten)]
            pub config: $config,

            /// What to do; `serve` when omitted.
            #[command(subcommand)]
            pub command: Option<Command>,
        }

        /// Subcommands.
        #[derive(::clap::Subcommand, Debug, Clone, PartialEq, Eq)]
        pub enum Command {
            $(#[$serve_doc])*
            Serve,
            /// Apply database migrations and exit.
            Migrate,
            $($commands)*
        }
    };
}

/// Writes one line to stdout (an operator command's output, not a log line).
pub fn say(line: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    Ok(())
}

/// `serve`: builds the app (`build`), then runs it (`run`) until SIGINT/SIGTERM.
pub async fn serve<A, Run>(
    build: impl Future<Output = anyhow::Result<A>>,
    run: impl FnOnce(A, tokio_util::sync::CancellationToken) -> Run,
) -> anyhow::Result<()>
where
    Run: Future<Output = anyhow::Result<()>>,
{
    let app = build.await?;
    run(app, crate::shutdown_on_signal()).await
}

/// `migrate`: connects to the database (`connect` applies the migrations) and says so.
pub async fn migrate<Db>(connect: impl Future<Output = anyhow::Result<Db>>) -> anyhow::Result<()> {
    connect.await?;
    say(format_args!("migrations applied"))
}
