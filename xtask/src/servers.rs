//! The IRC servers the integration tests run against: ngIRCd and InspIRCd,
//! from Debian's packages.
//!
//! `ensure` finds each server binary; when one is missing and we are root
//! with apt, it installs the package (without letting the package start a
//! system service: the tests start their own servers on free loopback
//! ports); otherwise it stops with the exact command to run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// A server the tests use: its name (the `IRC_TEST_<NAME>` variable), the
/// binary, and the Debian package that ships it.
struct Server {
    name: &'static str,
    binary: &'static str,
    package: &'static str,
}

const SERVERS: &[Server] = &[
    Server {
        name: "ngircd",
        binary: "ngircd",
        package: "ngircd",
    },
    Server {
        name: "inspircd",
        binary: "inspircd",
        package: "inspircd",
    },
];

/// Where Debian puts daemons, searched after the PATH.
const SBIN_DIRS: &[&str] = &["/usr/sbin", "/usr/local/sbin", "/sbin"];

/// Debian's hook that tells maintainer scripts whether they may start a
/// service; exit code 101 means "no".
const POLICY_RC_D: &str = "/usr/sbin/policy-rc.d";

/// Installs the servers when missing (and possible) and returns where they are.
pub(crate) fn ensure() -> Result<Vec<(&'static str, PathBuf)>> {
    let missing: Vec<&Server> = SERVERS.iter().filter(|s| locate(s).is_none()).collect();
    if !missing.is_empty() {
        let packages: Vec<&str> = missing.iter().map(|s| s.package).collect();
        let command = format!("apt-get install -y {}", packages.join(" "));
        if !can_install() {
            bail!(
                "the IRC servers the tests need are missing: {}\n\
                 install them with:\n    sudo {command}\n\
                 (or point IRC_TEST_NGIRCD / IRC_TEST_INSPIRCD at the binaries)",
                packages.join(", ")
            );
        }
        eprintln!("==> installing {}", packages.join(" "));
        install(&packages).with_context(|| format!("`{command}` failed"))?;
    }
    SERVERS
        .iter()
        .map(|s| {
            locate(s).map(|p| (s.name, p)).with_context(|| {
                format!(
                    "{} is still missing after installing {}",
                    s.binary, s.package
                )
            })
        })
        .collect()
}

/// The environment variable that tells the tests where a server binary is.
pub(crate) fn env_var(name: &str) -> String {
    format!("IRC_TEST_{}", name.to_ascii_uppercase())
}

/// The server's binary: the `IRC_TEST_<NAME>` variable when set, else the
/// PATH, else the sbin directories.
fn locate(server: &Server) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env_var(server.name)) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(SBIN_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(server.binary))
        .find(|p| p.is_file())
}

/// Root with apt-get: we can install.
fn can_install() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.trim_ascii() == b"0");
    root && Path::new("/usr/bin/apt-get").is_file()
}

fn apt(args: &[&str]) -> Result<()> {
    let mut cmd = Command::new("apt-get");
    cmd.args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null());
    crate::ci::exec(cmd)
}

fn install(packages: &[&str]) -> Result<()> {
    // Keep the packages' maintainer scripts from starting system services
    // (which would listen on 6667): a policy-rc.d that says no, for the
    // length of the install, unless one is already there.
    let own_policy = !Path::new(POLICY_RC_D).exists();
    if own_policy {
        write_policy().context("cannot write policy-rc.d")?;
    }
    let result = apt(&["update", "-q"]).and_then(|()| {
        let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
        args.extend_from_slice(packages);
        apt(&args)
    });
    if own_policy {
        let _ = std::fs::remove_file(POLICY_RC_D);
    }
    // Belt and braces: stop the services if something started them anyway.
    for p in packages {
        let _ = Command::new("service")
            .args([p, "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    result
}

fn write_policy() -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(
        POLICY_RC_D,
        "#!/bin/sh\n# Written by cargo xtask while installing test servers.\nexit 101\n",
    )?;
    std::fs::set_permissions(POLICY_RC_D, std::fs::Permissions::from_mode(0o755))
}
