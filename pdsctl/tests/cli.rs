//! pdsctl without a daemon: offline commands, usage errors, refusals and their exit codes.

use std::os::unix::fs::PermissionsExt;

use assert_cmd::Command;
use atproto::crypto::{KeyType, PublicKey, SigningKey};

/// pdsctl pointed at a socket that does not exist, with a clean environment.
fn pdsctl() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pdsctl"));
    cmd.env_remove("PDSCTL_SOCKET")
        .env_remove("PDS_ADMIN_SOCKET")
        .env_remove("PDS_DATA_DIRECTORY")
        .env("NO_COLOR", "1")
        .args(["--socket", "/nonexistent/pdsd/admin.sock"]);
    cmd
}

fn stdout(cmd: &mut Command) -> String {
    String::from_utf8(cmd.assert().success().get_output().stdout.clone()).unwrap()
}

#[test]
fn key_generate_prints_a_key_pair_in_each_format() {
    let hex = stdout(pdsctl().args(["key", "generate", "--format", "hex"]));
    let hex = hex.trim();
    assert_eq!(hex.len(), 64);
    assert!(SigningKey::from_hex(KeyType::K256, hex).is_ok());
    let mb = stdout(pdsctl().args(["key", "generate", "--type", "p256", "--format", "multibase"]));
    let key = SigningKey::from_multibase(mb.trim()).unwrap();
    assert_eq!(key.key_type(), KeyType::P256);

    let json: serde_json::Value =
        serde_json::from_str(&stdout(pdsctl().args(["--json", "key", "generate"]))).unwrap();
    let private =
        SigningKey::from_hex(KeyType::K256, json["privateKeyHex"].as_str().unwrap()).unwrap();
    assert_eq!(json["type"], "k256");
    assert_eq!(json["didKey"], private.public_key().to_did_key());
    assert_eq!(json["privateKeyMultibase"], private.to_multibase());
    let same: serde_json::Value = serde_json::from_str(&stdout(
        pdsctl().args(["key", "generate", "--format", "json"]),
    ))
    .unwrap();
    assert!(same["didKey"].as_str().unwrap().starts_with("did:key:zQ3s"));

    // Every form, one per line, when piped.
    let all = stdout(pdsctl().args(["key", "generate"]));
    assert!(all.starts_with("Type\tk256\nPrivate key (hex)\t"), "{all}");
}

#[test]
fn key_generate_did_key_needs_somewhere_to_keep_the_private_key() {
    pdsctl()
        .args(["key", "generate", "--format", "did-key"])
        .assert()
        .code(2)
        .stdout("");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rotation.key");
    let did_key = stdout(
        pdsctl()
            .args([
                "key",
                "generate",
                "--format",
                "did-key",
                "--private-key-out",
            ])
            .arg(&file),
    );
    let saved = std::fs::read_to_string(&file).unwrap();
    let private = SigningKey::from_hex(KeyType::K256, saved.trim()).unwrap();
    assert_eq!(did_key.trim(), private.public_key().to_did_key());
    assert!(PublicKey::from_did_key(did_key.trim()).is_ok());
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // An existing file is never overwritten.
    pdsctl()
        .args(["key", "generate", "--private-key-out"])
        .arg(&file)
        .assert()
        .code(2);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), saved);
}

#[test]
fn destructive_commands_refuse_without_yes_before_contacting_pdsd() {
    for args in [
        &["account", "delete", "alice.test"][..],
        &["account", "deactivate", "alice.test"],
        &["account", "reset-password", "alice.test"],
        &["invite", "disable", "code-1"],
    ] {
        let assert = pdsctl().args(args).assert().code(2).stdout("");
        let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(err.contains("re-run with --yes"), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // With --yes they go ahead and find no daemon: exit 3.
    pdsctl()
        .args(["--yes", "account", "delete", "alice.test"])
        .assert()
        .code(3);
}

#[test]
fn usage_errors_are_exit_2_and_json_errors_go_to_stderr() {
    pdsctl().args(["account", "frobnicate"]).assert().code(2);
    let out = pdsctl()
        .args(["--json", "account", "list", "--bogus"])
        .assert()
        .code(2)
        .stdout("")
        .get_output()
        .stderr
        .clone();
    let err: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(err["error"], "InvalidUsage");
    pdsctl()
        .args([
            "account",
            "provision",
            "--from",
            "/nonexistent.csv",
            "--show-secrets",
        ])
        .assert()
        .code(2);
    pdsctl()
        .args(["repo", "inspect", "/nonexistent.car"])
        .assert()
        .code(2);
    pdsctl().arg("--help").assert().success();
}

#[test]
fn an_unreachable_daemon_is_exit_3_in_json_too() {
    let out = pdsctl()
        .args(["--json", "server", "status"])
        .assert()
        .code(3)
        .stdout("")
        .get_output()
        .stderr
        .clone();
    let err: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(err["error"], "DaemonUnreachable");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot reach pdsd at /nonexistent/pdsd/admin.sock: ")
    );
}

#[test]
fn the_socket_defaults_follow_pdsds_environment() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pdsctl"));
    let out = cmd
        .env_remove("PDSCTL_SOCKET")
        .env_remove("PDS_ADMIN_SOCKET")
        .env("PDS_DATA_DIRECTORY", "/srv/pds")
        .args(["server", "status"])
        .assert()
        .code(3)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("at /srv/pds/admin.sock:"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pdsctl"));
    let out = cmd
        .env("PDSCTL_SOCKET", "/run/pds.sock")
        .env("PDS_DATA_DIRECTORY", "/srv/pds")
        .args(["server", "status"])
        .assert()
        .code(3)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("at /run/pds.sock:"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pdsctl"));
    let out = cmd
        .env_remove("PDSCTL_SOCKET")
        .env_remove("PDS_ADMIN_SOCKET")
        .env_remove("PDS_DATA_DIRECTORY")
        .current_dir(std::env::temp_dir())
        .args(["server", "status"])
        .assert()
        .code(3)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("at ./data/admin.sock:"));
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout(pdsctl().args(["completions", shell]));
        assert!(script.contains("pdsctl"), "{shell}");
        let json: serde_json::Value =
            serde_json::from_str(&stdout(pdsctl().args(["--json", "completions", shell]))).unwrap();
        assert_eq!(json["script"], script.as_str());
    }
    let version: serde_json::Value =
        serde_json::from_str(&stdout(pdsctl().args(["--json", "version"]))).unwrap();
    assert_eq!(version["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    // The reader is gone before pdsctl writes (or soon after): exit 0 either way, no message.
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{}' completions zsh | true",
            env!("CARGO_BIN_EXE_pdsctl")
        ))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ctrl_c_while_waiting_for_pdsd_exits_130() {
    // A "daemon" that accepts connections and never answers.
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("admin.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        for c in listener.incoming().take(2) {
            conns.push(c);
        }
        std::thread::sleep(std::time::Duration::from_secs(30));
    });
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_pdsctl"))
        .arg("--socket")
        .arg(&socket)
        .args(["server", "status"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "pdsctl: interrupted\n"
    );
    drop(held);
}
