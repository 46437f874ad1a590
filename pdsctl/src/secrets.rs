//! The file generated passwords and reset codes go to (`--secrets-out`): CSV rows
//! `external_id,did,handle,kind,secret`, appended, mode 0600. Appending keeps the secrets of
//! earlier runs: a password is shown once by pdsd and cannot be fetched again.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::usage;

/// An open secrets file.
pub struct SecretsFile {
    path: PathBuf,
    file: File,
}

impl SecretsFile {
    /// Opens (or creates, mode 0600) `path` for appending. An existing file that others can
    /// read or write is refused rather than filled with passwords.
    pub fn open(path: &Path) -> anyhow::Result<SecretsFile> {
        let mut file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("cannot open the secrets file {}", path.display()))?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(usage(format!("{} is not a regular file", path.display())));
        }
        if meta.mode() & 0o077 != 0 {
            return Err(usage(format!(
                "the secrets file {} is readable or writable by others (mode {:o}): chmod 600 it \
                 or pick a new file",
                path.display(),
                meta.mode() & 0o777
            )));
        }
        if meta.len() == 0 {
            file.write_all(b"external_id,did,handle,kind,secret\n")?;
        }
        Ok(SecretsFile {
            path: path.to_path_buf(),
            file,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one secret and makes it durable before returning: the caller may show the
    /// operator "written" only once it is.
    pub fn write(
        &mut self,
        external_id: Option<&str>,
        did: &str,
        handle: &str,
        kind: &str,
        secret: &str,
    ) -> anyhow::Result<()> {
        let mut row = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        row.write_record([external_id.unwrap_or(""), did, handle, kind, secret])?;
        let bytes = row.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        self.file
            .write_all(&bytes)
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("cannot write to the secrets file {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn secrets_are_appended_to_a_private_file_with_one_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.csv");
        let mut f = SecretsFile::open(&path).unwrap();
        f.write(Some("e1"), "did:plc:a", "a.test", "password", "p,1")
            .unwrap();
        drop(f);
        let mut f = SecretsFile::open(&path).unwrap();
        f.write(None, "did:plc:b", "b.test", "reset_token", "T")
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "external_id,did,handle,kind,secret\ne1,did:plc:a,a.test,password,\"p,1\"\n\
             ,did:plc:b,b.test,reset_token,T\n"
        );
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn a_secrets_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("open.csv");
        std::fs::write(&path, "").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = SecretsFile::open(&path).err().unwrap();
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }
}
