//! `pdsctl key generate`: offline, with the `atproto` crate's keys.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use anyhow::Context;
use atproto::crypto::{KeyType, SigningKey};

use crate::cli::{KeyCommand, KeyCurve, KeyFormat};
use crate::error::usage;
use crate::out::Out;
use crate::out::views::{KeyForm, KeyView};

pub fn run(out: &mut Out, command: KeyCommand) -> anyhow::Result<()> {
    let KeyCommand::Generate {
        key_type,
        format,
        private_key_out,
    } = command;
    if format == Some(KeyFormat::DidKey) && private_key_out.is_none() {
        return Err(usage(
            "--format did-key prints only the public key: add --private-key-out FILE to keep \
             the private key",
        ));
    }
    let (curve, name) = match key_type {
        KeyCurve::K256 => (KeyType::K256, "k256"),
        KeyCurve::P256 => (KeyType::P256, "p256"),
    };
    let key = SigningKey::generate(curve);
    let public = key.public_key();
    let mut view = KeyView {
        key_type: name,
        private_key_hex: Some(key.to_hex()),
        private_key_multibase: Some(key.to_multibase()),
        private_key_file: None,
        public_key_hex: public
            .compressed_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        public_key_multibase: public.to_multibase(),
        did_key: public.to_did_key(),
        only: None,
    };
    if let Some(path) = &private_key_out {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    usage(format!("{} exists: pick a new file", path.display()))
                } else {
                    anyhow::Error::new(e).context(format!("cannot create {}", path.display()))
                }
            })?;
        writeln!(file, "{}", key.to_hex())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", path.display()))?;
        view.private_key_hex = None;
        view.private_key_multibase = None;
        view.private_key_file = Some(path.display().to_string());
    }
    // With the private key in a file, the bare formats print the public key in that form.
    let private = private_key_out.is_none();
    view.only = match format {
        None | Some(KeyFormat::Json) => None,
        Some(KeyFormat::Hex) if private => Some(KeyForm::PrivateHex),
        Some(KeyFormat::Hex) => Some(KeyForm::PublicHex),
        Some(KeyFormat::Multibase) if private => Some(KeyForm::PrivateMultibase),
        Some(KeyFormat::Multibase) => Some(KeyForm::PublicMultibase),
        Some(KeyFormat::DidKey) => Some(KeyForm::DidKey),
    };
    if format == Some(KeyFormat::Json) || out.is_json() {
        out.emit_json(&view)?;
    } else {
        out.emit(&view)?;
    }
    Ok(())
}
