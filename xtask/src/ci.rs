//! `cargo xtask ci`: the checks CI runs, each one also runnable alone.

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::{cargo, project_root};

/// A CI step: its name and what it runs.
struct Step {
    name: &'static str,
    about: &'static str,
    run: fn() -> Result<()>,
}

const STEPS: &[Step] = &[
    Step {
        name: "fmt",
        about: "format check (rustfmt)",
        run: fmt,
    },
    Step {
        name: "clippy",
        about: "clippy on all targets and features, warnings denied",
        run: clippy,
    },
    Step {
        name: "test",
        about: "unit, integration and doc tests, real IRC servers included",
        run: test,
    },
    Step {
        name: "doc",
        about: "rustdoc with warnings denied",
        run: doc,
    },
    Step {
        name: "fuzz",
        about: "fuzz smoke: every fuzz target over its seeds and generated inputs",
        run: fuzz,
    },
    Step {
        name: "bench",
        about: "bench smoke: every criterion benchmark once, unmeasured",
        run: bench,
    },
];

pub(crate) fn run(args: &[String]) -> Result<()> {
    let selected: Vec<&Step> = if args.is_empty() {
        STEPS.iter().collect()
    } else {
        args.iter()
            .map(|a| {
                STEPS.iter().find(|s| s.name == a).with_context(|| {
                    let names: Vec<_> = STEPS.iter().map(|s| s.name).collect();
                    format!("unknown CI step `{a}`; steps: {}", names.join(", "))
                })
            })
            .collect::<Result<_>>()?
    };
    let start = Instant::now();
    for step in selected {
        eprintln!("==> ci {}: {}", step.name, step.about);
        let t = Instant::now();
        (step.run)().with_context(|| format!("CI step `{}` failed", step.name))?;
        eprintln!("==> ci {}: ok in {:.1?}", step.name, t.elapsed());
    }
    eprintln!("==> ci: all steps passed in {:.1?}", start.elapsed());
    Ok(())
}

/// Runs a command, failing with its command line when it fails.
pub(crate) fn exec(mut cmd: Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} exited with {status}");
    }
    Ok(())
}

fn cargo_args(args: &[&str]) -> Command {
    let mut cmd = cargo();
    cmd.args(args);
    cmd
}

fn fmt() -> Result<()> {
    exec(cargo_args(&["fmt", "--all", "--check"]))?;
    exec(cargo_args(&[
        "fmt",
        "--check",
        "--manifest-path",
        "fuzz/Cargo.toml",
    ]))
}

fn clippy() -> Result<()> {
    exec(cargo_args(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))
}

fn test() -> Result<()> {
    let servers = crate::servers::ensure()?;
    let mut cmd = cargo_args(&["test", "--workspace", "--all-features", "--locked"]);
    for (name, path) in servers {
        cmd.env(crate::servers::env_var(name), path);
    }
    // The real-server tests must run, not skip, in CI.
    cmd.env("IRC_TEST_REQUIRE_SERVERS", "1");
    exec(cmd)
}

fn doc() -> Result<()> {
    let mut cmd = cargo_args(&[
        "doc",
        "--workspace",
        "--no-deps",
        "--all-features",
        "--locked",
    ]);
    cmd.env("RUSTDOCFLAGS", "-D warnings");
    exec(cmd)
}

fn fuzz() -> Result<()> {
    // libFuzzer needs nightly; the smoke step runs each target's body as an
    // ordinary test over its seed corpus plus generated inputs (fuzz/README.md).
    let manifest = project_root().join("fuzz/Cargo.toml");
    let mut cmd = cargo();
    cmd.args([
        "test",
        "--release",
        "--no-default-features",
        "--manifest-path",
    ])
    .arg(manifest);
    exec(cmd)
}

fn bench() -> Result<()> {
    // criterion runs each benchmark once, unmeasured, under `cargo test --benches`.
    exec(cargo_args(&[
        "test",
        "--workspace",
        "--benches",
        "--locked",
    ]))
}
