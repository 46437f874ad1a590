//! pdsctl against the real pdsd over the real admin socket: every command with `--json`
//! (answers and exit codes), the table and plain output, a user without permission on the
//! socket, and a 10,000-record export verified by the official `@atproto/repo`.
//! See `common/mod.rs` for how the pdsd binary is found.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{Pdsd, Xrpc, pdsctl_on_tty, run_js_module};
use serde_json::Value;

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn every_command_answers_through_the_socket_with_json() {
    let pds = Pdsd::start(&[]);
    let xrpc = Xrpc::new(&pds);
    let work = tempfile::tempdir().unwrap();
    let path = |name: &str| work.path().join(name).to_string_lossy().into_owned();

    // server status
    let status = pds.json(&["server", "status"]);
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(status["hostname"], "localhost");
    assert_eq!(status["accounts"], 0);
    assert_eq!(status["inviteRequired"], true);
    assert!(status["uptimeSeconds"].is_u64());

    // account create: a generated password, shown once.
    let alice = pds.json(&[
        "account",
        "create",
        "alice",
        "--email",
        "alice@example.com",
        "--reason",
        "onboarding",
    ]);
    assert_eq!(alice["created"], true);
    assert_eq!(alice["account"]["handle"], "alice.test");
    assert_eq!(alice["account"]["status"], "active");
    assert_eq!(alice["account"]["email"], "alice@example.com");
    let alice_did = s(&alice["account"]["did"]).to_string();
    let alice_password = s(&alice["password"]).to_string();
    xrpc.login("alice.test", &alice_password).await;

    // account create with a password on stdin and an external id; again: the same account.
    let bob = pds
        .pdsctl_in(
            &[
                "--json",
                "account",
                "create",
                "bob.test",
                "--password-stdin",
                "--external-id",
                "emp-1",
            ],
            "bob-password-1\n",
        )
        .ok_json();
    assert_eq!(bob["created"], true);
    assert_eq!(bob["password"], Value::Null);
    assert_eq!(bob["account"]["externalId"], "emp-1");
    let bob_did = s(&bob["account"]["did"]).to_string();
    xrpc.login("bob.test", "bob-password-1").await;
    let again = pds.pdsctl(&[
        "--json",
        "account",
        "create",
        "bob-other",
        "--external-id",
        "emp-1",
    ]);
    let again_view = again.ok_json();
    assert_eq!(again_view["created"], false);
    assert_eq!(again_view["account"]["did"], bob_did.as_str());
    assert!(again.stderr.contains("nothing was created"), "{again:?}");

    // A taken handle: exit 1 and the daemon's error name.
    let taken = pds.pdsctl(&["--json", "account", "create", "alice"]);
    let err = taken.json_error(1);
    assert_eq!(err["error"], "HandleNotAvailable");
    assert!(s(&err["message"]).starts_with("cannot create account alice: "));
    let taken = pds.pdsctl(&["-v", "account", "create", "alice"]);
    assert_eq!(taken.code, 1);
    assert!(
        taken
            .stderr
            .starts_with("pdsctl: cannot create account alice: ")
            && taken.stderr.trim_end().ends_with("[HandleNotAvailable]"),
        "{taken:?}"
    );

    // account list: everything, filtered, limited, empty.
    let list = pds.json(&["account", "list"]);
    let dids: Vec<&str> = list["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| s(&a["did"]))
        .collect();
    assert_eq!(dids, [alice_did.as_str(), bob_did.as_str()]);
    assert_eq!(list["cursor"], Value::Null);
    let found = pds.json(&["account", "list", "--query", "BOB"]);
    assert_eq!(found["accounts"].as_array().unwrap().len(), 1);
    let first = pds.json(&["account", "list", "--limit", "1"]);
    assert_eq!(first["accounts"][0]["did"], alice_did.as_str());
    let rest = pds.json(&["account", "list", "--cursor", s(&first["cursor"])]);
    assert_eq!(rest["accounts"][0]["did"], bob_did.as_str());
    let none = pds.json(&["account", "list", "--status", "deactivated"]);
    assert_eq!(none["accounts"], serde_json::json!([]));
    let none = pds.pdsctl(&["account", "list", "--status", "deactivated"]);
    assert_eq!((none.code, none.stdout.as_str()), (0, ""), "{none:?}");
    assert!(none.stderr.contains("no accounts match"), "{none:?}");

    // account show: by handle and external id; a missing account is exit 4.
    let shown = pds.json(&["account", "show", "alice.test"]);
    assert_eq!(shown["account"]["did"], alice_did.as_str());
    assert_eq!(shown["repo"]["records"], 0);
    assert!(shown["repo"]["commit"].is_string());
    let shown = pds.json(&["account", "show", "external:emp-1"]);
    assert_eq!(shown["account"]["did"], bob_did.as_str());
    let missing = pds.pdsctl(&["--json", "account", "show", "nobody.test"]);
    missing.json_error(4);
    let missing = pds.pdsctl(&["account", "show", "nobody.test"]);
    assert_eq!(missing.code, 4);
    assert!(
        missing
            .stderr
            .starts_with("pdsctl: cannot show account nobody.test: "),
        "{missing:?}"
    );
    assert_eq!(missing.stderr.lines().count(), 1, "{missing:?}");

    // update-handle and update-email.
    let renamed = pds.json(&["account", "update-handle", &alice_did, "alice2"]);
    assert_eq!(renamed["handle"], "alice2.test");
    let bad = pds.pdsctl(&["--json", "account", "update-handle", &alice_did, "no way"]);
    bad.json_error(1);
    let mailed = pds.json(&[
        "account",
        "update-email",
        "external:emp-1",
        "bob@example.com",
        "--confirmed",
    ]);
    assert_eq!(mailed["email"], "bob@example.com");
    assert!(mailed["emailConfirmedAt"].is_string());

    // reset-password: refused without --yes off a terminal; set, token, generate into a file.
    let refused = pds.pdsctl(&["account", "reset-password", "bob.test"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("re-run with --yes"), "{refused:?}");
    let refused = pds.pdsctl(&["--json", "account", "reset-password", "bob.test"]);
    assert_eq!(refused.json_error(2)["error"], "ConfirmationRequired");
    let set = pds
        .pdsctl_in(
            &[
                "--json",
                "--yes",
                "account",
                "reset-password",
                "bob.test",
                "--password-stdin",
            ],
            "bob-password-2\n",
        )
        .ok_json();
    assert_eq!(set["method"], "set");
    assert_eq!(set["sessionsRevoked"], true);
    xrpc.login("bob.test", "bob-password-2").await;
    let token = pds.json(&["account", "reset-password", "bob.test", "--method", "token"]);
    assert_eq!(token["method"], "token");
    assert!(token["resetToken"].as_str().is_some_and(|t| t.len() >= 10));
    let secrets = path("reset-secrets.csv");
    let generated = pds.json(&[
        "--yes",
        "account",
        "reset-password",
        "bob.test",
        "--secrets-out",
        &secrets,
    ]);
    assert_eq!(generated["method"], "generate");
    assert_eq!(
        generated["password"],
        Value::Null,
        "written to the file only"
    );
    assert_eq!(generated["secretsFile"], secrets.as_str());
    assert_eq!(mode(Path::new(&secrets)), 0o600);
    let file = std::fs::read_to_string(&secrets).unwrap();
    let row: Vec<&str> = file.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(
        row[..4],
        ["emp-1", bob_did.as_str(), "bob.test", "password"]
    );
    xrpc.login("bob.test", row[4]).await;
    // No mailer configured: pdsd refuses, exit 1.
    let email = pds.pdsctl(&[
        "--json",
        "account",
        "reset-password",
        "bob.test",
        "--method",
        "email",
    ]);
    email.json_error(1);

    // deactivate (destructive) and activate.
    let refused = pds.pdsctl(&["account", "deactivate", "bob.test"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    let off = pds.json(&[
        "--yes",
        "account",
        "deactivate",
        "bob.test",
        "--reason",
        "r",
    ]);
    assert_eq!(off["status"], "deactivated");
    assert!(off["deactivatedAt"].is_string());
    let on = pds.json(&["account", "activate", "bob.test"]);
    assert_eq!(on["status"], "active");

    // invite create / list / disable.
    let one = pds.json(&["invite", "create"]);
    assert_eq!(one["codes"].as_array().unwrap().len(), 1);
    assert_eq!(one["codes"][0]["forAccount"], "admin");
    let plain = pds.pdsctl(&["invite", "create", "--count", "2"]);
    assert_eq!(plain.code, 0);
    assert_eq!(plain.stdout.lines().count(), 2, "bare codes: {plain:?}");
    let three = pds.json(&["invite", "create", "--count", "3", "--uses", "2"]);
    let codes = three["codes"].as_array().unwrap();
    assert_eq!(codes.len(), 3);
    assert!(
        codes
            .iter()
            .all(|c| c["totalUses"] == 2 && c["available"] == 2)
    );
    let for_alice = pds.json(&["invite", "create", "--for", "alice2.test"]);
    assert_eq!(for_alice["codes"][0]["forAccount"], alice_did.as_str());
    let listed = pds.json(&["invite", "list"]);
    assert_eq!(listed["codes"].as_array().unwrap().len(), 7);
    let alices = pds.json(&["invite", "list", "--for", "alice2.test"]);
    assert_eq!(alices["codes"].as_array().unwrap().len(), 1);
    let code = s(&one["codes"][0]["code"]).to_string();
    let refused = pds.pdsctl(&["invite", "disable", &code]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert_eq!(
        pds.json(&["--yes", "invite", "disable", &code])["disabled"],
        1
    );
    let available = pds.json(&["invite", "list", "--available"]);
    assert_eq!(available["codes"].as_array().unwrap().len(), 6);
    let by_account = pds.json(&["--yes", "invite", "disable", "--account", "alice2.test"]);
    assert_eq!(by_account["disabled"], 1);
    let nothing = pds.pdsctl(&["--json", "invite", "disable"]);
    nothing.json_error(2);

    // account provision: CSV with a bad row (exit 1), then again (idempotent, exit 0).
    let csv = path("people.csv");
    std::fs::write(
        &csv,
        "external_id,handle,email\n\
         emp-10,carol,carol@example.com\n\
         emp-11,dave,\n\
         emp-1,bob-again,\n\
         emp-12,,erin@example.com\n",
    )
    .unwrap();
    let no_secrets = pds.pdsctl(&["account", "provision", "--from", &csv]);
    assert_eq!(no_secrets.code, 2, "{no_secrets:?}");
    assert!(
        no_secrets.stderr.contains("--secrets-out"),
        "{no_secrets:?}"
    );
    let secrets = path("provisioned.csv");
    let run = pds.pdsctl(&[
        "--json",
        "account",
        "provision",
        "--from",
        &csv,
        "--secrets-out",
        &secrets,
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    let rows = run.json_lines();
    let results: Vec<(&str, u64)> = rows
        .iter()
        .map(|r| (s(&r["result"]), r["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        results,
        [
            ("created", 2),
            ("created", 3),
            ("existing", 4),
            ("failed", 5)
        ]
    );
    assert_eq!(rows[2]["did"], bob_did.as_str());
    assert_eq!(rows[3]["error"]["error"], "InvalidRow");
    assert!(
        rows.iter().all(|r| r.get("password").is_none()),
        "no secrets on stdout"
    );
    assert!(run.stderr.contains("1 of 4 rows failed"), "{run:?}");
    assert_eq!(mode(Path::new(&secrets)), 0o600);
    let file = std::fs::read_to_string(&secrets).unwrap();
    let lines: Vec<&str> = file.lines().collect();
    assert_eq!(lines.len(), 3, "{file}");
    let carol: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(
        carol[..4],
        ["emp-10", s(&rows[0]["did"]), "carol.test", "password"]
    );
    xrpc.login("carol.test", carol[4]).await;
    std::fs::write(
        &csv,
        "external_id,handle,email\n\
         emp-10,carol,carol@example.com\n\
         emp-11,dave,\n\
         emp-12,erin,erin@example.com\n",
    )
    .unwrap();
    let run = pds.pdsctl(&[
        "--json",
        "account",
        "provision",
        "--from",
        &csv,
        "--secrets-out",
        &secrets,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let results: Vec<String> = run
        .json_lines()
        .iter()
        .map(|r| s(&r["result"]).to_string())
        .collect();
    assert_eq!(results, ["existing", "existing", "created"]);
    assert_eq!(
        std::fs::read_to_string(&secrets).unwrap().lines().count(),
        4,
        "only erin's secret was added"
    );
    // JSON Lines input handing out reset codes, shown with --show-secrets.
    let jsonl = path("people.jsonl");
    std::fs::write(
        &jsonl,
        "{\"externalId\": \"emp-20\", \"handle\": \"frank\"}\n",
    )
    .unwrap();
    let run = pds.pdsctl(&[
        "--json",
        "account",
        "provision",
        "--from",
        &jsonl,
        "--credentials",
        "reset-token",
        "--show-secrets",
    ]);
    let rows = run.json_lines();
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(rows[0]["result"], "created");
    assert!(rows[0]["resetToken"].is_string(), "{rows:?}");
    // Piped without --json: a header line, then one tab-separated line per row.
    let run = pds.pdsctl(&[
        "account",
        "provision",
        "--from",
        &jsonl,
        "--credentials",
        "reset-token",
    ]);
    assert_eq!(run.code, 2, "reset codes need a destination too: {run:?}");
    let run = pds.pdsctl(&[
        "account",
        "provision",
        "--from",
        &csv,
        "--secrets-out",
        &secrets,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "LINE\tEXTERNAL ID\tHANDLE\tRESULT\tDID\tERROR");
    assert_eq!(lines.len(), 4);
    assert!(lines[1].starts_with("2\temp-10\tcarol.test\texisting\tdid:plc:"));

    // Records and a blob for alice, over XRPC.
    let token = xrpc.login("alice2.test", &alice_password).await;
    let png: Vec<u8> = [b"\x89PNG\r\n\x1a\n".as_slice(), &[7u8; 100_000]].concat();
    let blob = xrpc.upload(&token, "image/png", png.clone()).await;
    let blob_cid = s(&blob["ref"]["$link"]).to_string();
    let (status, body) = xrpc
        .post(
            "com.atproto.repo.createRecord",
            Some(&token),
            serde_json::json!({
                "repo": alice_did,
                "collection": "app.bsky.feed.post",
                "record": {
                    "$type": "app.bsky.feed.post",
                    "text": "with a picture",
                    "createdAt": "2026-01-01T00:00:00.000Z",
                    "embed": {
                        "$type": "app.bsky.embed.images",
                        "images": [{ "alt": "", "image": blob }],
                    },
                },
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    xrpc.create_posts(&token, &alice_did, 19).await;
    let key = xrpc.signing_key(&alice_did).await;

    // repo export: verified structure; the signature with --key.
    let car = path("alice.car");
    let exported = pds.json(&["repo", "export", "alice2.test", "-o", &car]);
    assert_eq!(exported["did"], alice_did.as_str());
    assert_eq!(exported["records"], 20);
    assert_eq!(exported["collections"]["app.bsky.feed.post"], 20);
    assert_eq!(exported["structureVerified"], true);
    assert_eq!(exported["signature"], "not checked");
    assert_eq!(exported["bytes"], std::fs::metadata(&car).unwrap().len());
    let exists = pds.pdsctl(&["--json", "repo", "export", "alice2.test", "-o", &car]);
    exists.json_error(2);
    let exported = pds.json(&[
        "repo", "export", &alice_did, "-o", &car, "--force", "--key", &key,
    ]);
    assert_eq!(exported["signature"], "verified");
    assert_eq!(exported["signatureKey"], key.as_str());
    let nobody = pds.pdsctl(&[
        "--json",
        "repo",
        "export",
        "nobody.test",
        "-o",
        &path("x.car"),
    ]);
    nobody.json_error(4);
    assert!(!Path::new(&path("x.car")).exists());
    assert!(!Path::new(&path(".x.car.partial")).exists());

    // repo inspect (offline: a socket that does not exist is never touched).
    let inspected = common::run_pdsctl(
        Path::new("/nonexistent/admin.sock"),
        &["--json", "repo", "inspect", &car, "--key", &key],
        None,
    )
    .ok_json();
    assert_eq!(inspected["did"], alice_did.as_str());
    assert_eq!(inspected["commit"], exported["commit"]);
    assert_eq!(inspected["rev"], exported["rev"]);
    assert_eq!(inspected["records"], 20);
    assert_eq!(inspected["signature"], "verified");
    let unchecked = pds.json(&["repo", "inspect", &car]);
    assert_eq!(unchecked["signature"], "not checked");
    let other_key = s(&pds.json(&["key", "generate"])["didKey"]).to_string();
    let wrong = pds.pdsctl(&["--json", "repo", "inspect", &car, "--key", &other_key]);
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert_eq!(
        serde_json::from_str::<Value>(&wrong.stdout).unwrap()["signature"],
        "invalid"
    );
    let junk = path("junk.car");
    std::fs::write(&junk, b"not a car file").unwrap();
    pds.pdsctl(&["--json", "repo", "inspect", &junk])
        .json_error(1);

    // repo import: destructive; the exported CAR goes back in.
    let refused = pds.pdsctl(&["repo", "import", "alice2.test", &car]);
    assert_eq!(refused.code, 2, "{refused:?}");
    let imported = pds.json(&["--yes", "repo", "import", "alice2.test", &car]);
    assert_eq!(imported["did"], alice_did.as_str());
    assert_eq!(imported["records"], 20);
    assert_eq!(
        imported["bytesSent"],
        std::fs::metadata(&car).unwrap().len()
    );
    pds.pdsctl(&["--json", "--yes", "repo", "import", "alice2.test", &junk])
        .json_error(1);

    // blob export: written, then skipped on a second run.
    let blobs = path("blobs");
    let out = pds.json(&["blob", "export", "alice2.test", "-o", &blobs]);
    assert_eq!(out["written"], 1);
    assert_eq!(out["blobs"][0]["cid"], blob_cid.as_str());
    assert_eq!(out["blobs"][0]["mimeType"], "image/png");
    assert_eq!(
        std::fs::read(Path::new(&blobs).join(&blob_cid)).unwrap(),
        png
    );
    let again = pds.json(&["blob", "export", "alice2.test", "-o", &blobs]);
    assert_eq!(
        (again["written"].clone(), again["skipped"].clone()),
        (0.into(), 1.into())
    );
    let empty = pds.pdsctl(&["blob", "export", "bob.test", "-o", &path("none")]);
    assert_eq!((empty.code, empty.stdout.as_str()), (0, ""), "{empty:?}");
    assert!(empty.stderr.contains("no blobs"), "{empty:?}");

    // account delete: destructive; afterwards the account is not found.
    let refused = pds.pdsctl(&["account", "delete", "bob.test"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("re-run with --yes"));
    let deleted = pds.json(&["--yes", "account", "delete", "bob.test", "--reason", "left"]);
    assert_eq!(deleted["did"], bob_did.as_str());
    assert_eq!(deleted["deleted"], true);
    pds.pdsctl(&["--json", "account", "show", &bob_did])
        .json_error(4);

    let status = pds.json(&["server", "status"]);
    assert_eq!(
        status["accounts"], 5,
        "alice, carol, dave, erin and frank; bob is gone"
    );
    assert_eq!(status["blobBytes"], png.len() as u64);
    assert!(status["firehoseSeq"].as_i64().unwrap() > 0);
}

#[test]
fn an_unreachable_daemon_is_exit_3_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("admin.sock");
    let run = common::run_pdsctl(&socket, &["server", "status"], None);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "pdsctl: cannot reach pdsd at {}: no socket there (is pdsd running? set --socket or \
             PDSCTL_SOCKET)\n",
            socket.display()
        )
    );
    // A stale socket file: nothing listens.
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    drop(listener);
    let run = common::run_pdsctl(&socket, &["--json", "account", "list"], None);
    let err = run.json_error(3);
    assert_eq!(err["error"], "DaemonUnreachable");
    assert!(s(&err["message"]).contains("connection refused"), "{err}");
}

/// Runs as an unprivileged user when this process is root (root ignores file modes), else
/// makes the socket unreadable for ourselves.
#[test]
fn a_user_without_permission_on_the_socket_gets_exit_3_and_one_line() {
    let pds = Pdsd::start(&[]);
    let socket = pds.socket();
    assert_eq!(mode(&socket), 0o600);
    let uid = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        .unwrap();
    let output = if uid == "0" {
        // nobody must be able to reach the socket's directory and run the binary: open the
        // data directory (the socket itself stays 0600, root's) and copy pdsctl out of
        // /root's target directory.
        std::fs::set_permissions(pds.data.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let bin_dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(bin_dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let bin = bin_dir.path().join("pdsctl");
        std::fs::copy(common::PDSCTL, &bin).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let out = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&bin)
            .arg("--socket")
            .arg(&socket)
            .args(["account", "list"])
            .env_remove("PDSCTL_SOCKET")
            .output()
            .expect("setpriv (util-linux) runs");
        drop(bin_dir);
        out
    } else {
        std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o000)).unwrap();
        let out = std::process::Command::new(common::PDSCTL)
            .arg("--socket")
            .arg(&socket)
            .args(["account", "list"])
            .output()
            .unwrap();
        std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600)).unwrap();
        out
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(output.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "pdsctl: cannot reach pdsd at {}: permission denied",
            socket.display()
        )),
        "{stderr}"
    );
    // The daemon is fine for its own user.
    assert_eq!(pds.pdsctl(&["server", "status"]).code, 0);
}

/// Same-length placeholders keep table borders aligned after filtering.
fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"did:plc:[a-z2-7]{24}", "did:plc:xxxxxxxxxxxxxxxxxxxxxxxx"),
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",
            "YYYY-MM-DDThh:mm:ss.sssZ",
        ),
        (
            r"bafyrei[a-z2-7]{52}",
            "bafyreixxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ),
        (r"\b3[a-z2-7]{12}\b", "3xxxxxxxxxxxx"),
        (
            r"localhost-[a-z2-7]{5}-[a-z2-7]{5}",
            "localhost-xxxxx-xxxxx",
        ),
    ]
}

#[tokio::test]
async fn table_and_plain_output_match_the_snapshots() {
    let pds = Pdsd::start(&[]);
    for (handle, id, email) in [
        ("alice", "emp-1", Some("alice@example.com")),
        ("bob", "emp-2", None),
    ] {
        let mut args = vec![
            "account",
            "create",
            handle,
            "--external-id",
            id,
            "--password-stdin",
        ];
        if let Some(e) = email {
            args.extend(["--email", e]);
        }
        assert_eq!(pds.pdsctl_in(&args, "password-123\n").code, 0);
    }
    assert_eq!(
        pds.pdsctl(&["--yes", "account", "deactivate", "bob.test"])
            .code,
        0
    );
    assert_eq!(pds.pdsctl(&["invite", "create", "--count", "2"]).code, 0);

    let mut settings = insta::Settings::clone_current();
    for (re, with) in filters() {
        settings.add_filter(re, with);
    }
    settings.set_snapshot_path("snapshots");
    let _guard = settings.bind_to_scope();

    let socket = pds.socket();
    // On a terminal: comfy-table, no colour with NO_COLOR.
    let tty = |args: &[&str]| pdsctl_on_tty(&socket, args, &[("NO_COLOR", "1")]);
    insta::assert_snapshot!("tty_account_list", tty(&["account", "list"]));
    insta::assert_snapshot!("tty_account_show", tty(&["account", "show", "alice.test"]));
    insta::assert_snapshot!("tty_invite_list", tty(&["invite", "list"]));
    // Piped: tab-separated, no borders.
    insta::assert_snapshot!(
        "plain_account_list",
        pds.pdsctl(&["account", "list"]).stdout
    );
    insta::assert_snapshot!(
        "plain_account_show",
        pds.pdsctl(&["account", "show", "bob.test"]).stdout
    );
    // --json: one document.
    insta::assert_snapshot!(
        "json_account_show",
        pds.pdsctl(&["--json", "account", "show", "alice.test"])
            .stdout
    );
    insta::assert_snapshot!(
        "json_account_list",
        pds.pdsctl(&["--json", "account", "list", "--status", "deactivated"])
            .stdout
    );

    // Colour: on a terminal unless NO_COLOR; never when piped unless --color always; never
    // with --json.
    let coloured = pdsctl_on_tty(&socket, &["account", "list"], &[]);
    assert!(coloured.contains("\x1b["), "{coloured}");
    assert!(!tty(&["account", "list"]).contains("\x1b["));
    assert!(
        !pdsctl_on_tty(&socket, &["--color", "never", "account", "list"], &[]).contains("\x1b[")
    );
    assert!(!pdsctl_on_tty(&socket, &["--json", "account", "list"], &[]).contains("\x1b["));
    let forced = pds.pdsctl(&["--color", "always", "account", "list"]).stdout;
    assert!(forced.contains("\x1b[32mactive\x1b[0m"), "{forced}");
    assert!(!forced.contains('│'), "still plain when piped: {forced}");
    // A destructive command on a terminal asks (default No); an empty answer keeps the account.
    let asked = common::pdsctl_on_tty_typing(
        &socket,
        &["account", "delete", "alice.test"],
        &[],
        Some("\n"),
    );
    assert!(
        asked.contains("Delete account alice.test? [y/N]"),
        "{asked}"
    );
    assert!(asked.contains("not confirmed"), "{asked}");
    assert_eq!(
        pds.json(&["account", "show", "alice.test"])["account"]["status"],
        "active"
    );
}

#[tokio::test]
async fn repo_export_of_10000_records_is_verified_by_atproto_repo() {
    let pds = Pdsd::start(&["--rate-limits-enabled", "false"]);
    let xrpc = Xrpc::new(&pds);
    let created = pds
        .pdsctl_in(
            &["--json", "account", "create", "big", "--password-stdin"],
            "big-password-1\n",
        )
        .ok_json();
    let did = s(&created["account"]["did"]).to_string();
    let token = xrpc.login("big.test", "big-password-1").await;
    xrpc.create_posts(&token, &did, 10_000).await;
    let key = xrpc.signing_key(&did).await;
    let work = tempfile::tempdir().unwrap();
    let car = work.path().join("big.car");
    let car = car.to_str().unwrap();
    let exported = pds.json(&["repo", "export", "big.test", "-o", car, "--key", &key]);
    assert_eq!(exported["records"], 10_000);
    assert_eq!(exported["signature"], "verified");
    let verified = run_js_module(
        "verify-car.mjs",
        &[("CAR", car), ("DID", &did), ("SIGNING_KEY", &key)],
    );
    assert_eq!(verified["ok"], true, "{verified}");
    assert_eq!(verified["records"], 10_000);
    assert_eq!(verified["commit"], exported["commit"]);
    assert_eq!(verified["rev"], exported["rev"]);
    assert_eq!(verified["collections"]["app.bsky.feed.post"], 10_000);
}
