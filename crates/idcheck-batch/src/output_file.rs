//! Writing a results file without ever destroying or half-writing one: the rows go to a
//! temporary file beside it (mode 0600: it holds personal data), which replaces the file only
//! when the run ends; two runs writing the same file are refused; the input file is never the
//! output, whatever links lead to it.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

/// Why an output file cannot be written. Messages name the file, never its contents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The output is the input file (the same file, maybe through a link).
    #[error(
        "--output {path} is the input file: choose another file (the input is never overwritten)"
    )]
    IsTheInput {
        /// The output as given.
        path: PathBuf,
    },
    /// Another run (this program or another) is writing the same output now.
    #[error("another run is writing {path} now: wait for it, or choose another --output")]
    InUse {
        /// The output as given.
        path: PathBuf,
    },
    /// The output is a directory or a device, not a file.
    #[error("--output {path} is not a regular file")]
    NotAFile {
        /// The output as given.
        path: PathBuf,
    },
    /// The file system refused (no such directory, no permission, a full disk).
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
}

/// An output file being written: rows go to a temporary file beside it, which replaces the
/// output only on [`OutputFile::commit`] (renamed into place, so a reader sees the old file or
/// the whole new one). Dropped without a commit, it leaves the output as it was.
#[derive(Debug)]
pub struct OutputFile {
    path: PathBuf,
    temporary: PathBuf,
    writer: BufWriter<File>,
    committed: bool,
    /// Held until the end: the lock against another run writing the same output, and its
    /// file (removed at the end, while still held).
    lock: (File, PathBuf),
}

impl OutputFile {
    /// Prepares to write `path`, refusing it when it is `input` (the same file by device and
    /// inode, after following links), a directory or device, or being written by another run.
    /// Nothing is changed at `path` until [`OutputFile::commit`].
    ///
    /// # Errors
    ///
    /// [`OutputError`], saying which.
    pub fn create(path: &Path, input: Option<&Path>) -> Result<Self, OutputError> {
        let io_error = |path: &Path| {
            let path = path.to_owned();
            move |source| OutputError::Io { path, source }
        };
        if let Ok(existing) = std::fs::metadata(path) {
            if !existing.is_file() {
                return Err(OutputError::NotAFile {
                    path: path.to_owned(),
                });
            }
            if input
                .and_then(|input| std::fs::metadata(input).ok())
                .is_some_and(|input| same_file(&input, &existing))
            {
                return Err(OutputError::IsTheInput {
                    path: path.to_owned(),
                });
            }
        }
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| OutputError::NotAFile {
                path: path.to_owned(),
            })?
            .to_string_lossy()
            .into_owned();
        let lock = lock_beside(&dir, &name).map_err(|e| match e {
            LockError::Held => OutputError::InUse {
                path: path.to_owned(),
            },
            LockError::Io(source) => OutputError::Io {
                path: dir.clone(),
                source,
            },
        })?;
        // Partial files of this output left by runs that were killed: the lock says no run
        // is writing them now.
        remove_stale_partials(&dir, &name);
        let mut nonce = [0u8; 6];
        let _ = getrandom::fill(&mut nonce);
        let temporary = dir.join(format!(
            ".{name}.{}-{}.partial",
            std::process::id(),
            nonce.iter().fold(String::new(), |mut s, b| {
                use std::fmt::Write as _;
                let _ = write!(s, "{b:02x}");
                s
            })
        ));
        let file = private_file(&temporary).map_err(io_error(&temporary))?;
        Ok(Self {
            path: path.to_owned(),
            temporary,
            writer: BufWriter::with_capacity(64 * 1024, file),
            committed: false,
            lock,
        })
    }

    /// Where the rows go until the commit.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.writer
    }

    /// The output as given.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes what is buffered to disk and puts the file in place of the output.
    ///
    /// # Errors
    ///
    /// The disk refused (full, gone): the output is left as it was.
    pub fn commit(mut self) -> Result<(), OutputError> {
        use std::io::Write as _;
        let temporary = self.temporary.clone();
        let io_error = |source| OutputError::Io {
            path: temporary.clone(),
            source,
        };
        self.writer.flush().map_err(io_error)?;
        self.writer.get_ref().sync_all().map_err(io_error)?;
        std::fs::rename(&self.temporary, &self.path).map_err(|source| OutputError::Io {
            path: self.path.clone(),
            source,
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if !self.committed {
            // Not committed: the output stays as it was.
            let _ = std::fs::remove_file(&self.temporary);
        }
        // Removed while held: whoever opened it meanwhile sees it gone and takes a new one.
        let _ = std::fs::remove_file(&self.lock.1);
    }
}

/// Removes `.NAME.*.partial` files in `dir`: left by killed runs (the caller holds the lock).
fn remove_stale_partials(dir: &Path, name: &str) {
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        if file.starts_with(&prefix) && file.ends_with(".partial") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A new file that only its owner can read, whatever the umask.
pub(crate) fn private_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

enum LockError {
    Held,
    Io(io::Error),
}

/// An exclusive lock on the hidden file `.NAME.lock` beside the output, held until dropped
/// (the system releases it when the process dies, so a killed run leaves no lock behind).
/// The file is removed by its holder when done; a lock taken on a file removed meanwhile is
/// taken again on the file now at that path.
fn lock_beside(dir: &Path, name: &str) -> Result<(File, PathBuf), LockError> {
    let path = dir.join(format!(".{name}.lock"));
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    for _ in 0..100 {
        let file = options.open(&path).map_err(LockError::Io)?;
        match fs4::fs_std::FileExt::try_lock_exclusive(&file) {
            Ok(true) => {}
            Ok(false) => return Err(LockError::Held),
            Err(e) => return Err(LockError::Io(e)),
        }
        let still_there = match (file.metadata(), std::fs::metadata(&path)) {
            (Ok(ours), Ok(now)) => same_file(&ours, &now),
            _ => false,
        };
        if still_there {
            return Ok((file, path));
        }
    }
    Err(LockError::Held)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn dir(test: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("idcheck-output-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_output_replaces_the_file_only_when_committed() {
        let dir = dir("commit");
        let path = dir.join("out.csv");
        std::fs::write(&path, "old\n").unwrap();
        let mut output = OutputFile::create(&path, None).unwrap();
        output.writer().write_all(b"new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
        drop(output);
        // Dropped without a commit: nothing changed, nothing left behind.
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
        let mut output = OutputFile::create(&path, None).unwrap();
        output.writer().write_all(b"new\n").unwrap();
        output.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["out.csv"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn the_input_and_a_file_in_use_are_refused() {
        let dir = dir("refused");
        let input = dir.join("in.csv");
        std::fs::write(&input, "id,name\n").unwrap();
        let error = OutputFile::create(&input, Some(&input)).unwrap_err();
        assert!(matches!(error, OutputError::IsTheInput { .. }), "{error}");
        #[cfg(unix)]
        {
            let link = dir.join("link.csv");
            std::os::unix::fs::symlink(&input, &link).unwrap();
            let error = OutputFile::create(&link, Some(&input)).unwrap_err();
            assert!(matches!(error, OutputError::IsTheInput { .. }), "{error}");
            let hard = dir.join("hard.csv");
            std::fs::hard_link(&input, &hard).unwrap();
            let error = OutputFile::create(&hard, Some(&input)).unwrap_err();
            assert!(matches!(error, OutputError::IsTheInput { .. }), "{error}");
        }
        let error = OutputFile::create(&dir, None).unwrap_err();
        assert!(matches!(error, OutputError::NotAFile { .. }), "{error}");
        let out = dir.join("out.csv");
        let first = OutputFile::create(&out, Some(&input)).unwrap();
        let error = OutputFile::create(&out, Some(&input)).unwrap_err();
        assert!(matches!(error, OutputError::InUse { .. }), "{error}");
        drop(first);
        // A killed run's partial file is removed by the next run.
        let stale = dir.join(".out.csv.1-000000000000.partial");
        std::fs::write(&stale, "row\n").unwrap();
        OutputFile::create(&out, Some(&input)).unwrap();
        assert!(!stale.exists());
    }
}
