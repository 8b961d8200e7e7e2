//! Atomic file creation: write beside the target under a temporary name, fsync, rename.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written; it appears under its final name only when [`AtomicFile::finish`] succeeds.
/// Dropping it unfinished removes the temporary file (a crash leaves a `.tmp` that the next run
/// overwrites, never a partial file under the final name).
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    file: Option<BufWriter<File>>,
}

/// This process's part of temporary names: its id, prefixed by `$SLURM_JOB_ID` (unique on the
/// cluster, one per array task) when set.
fn writer_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| match std::env::var("SLURM_JOB_ID") {
        Ok(job) if !job.is_empty() && job.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            format!("{job}-{}", std::process::id())
        }
        _ => std::process::id().to_string(),
    })
}

impl AtomicFile {
    /// Create the parent directories and the temporary file.
    pub fn create(target: impl Into<PathBuf>) -> io::Result<AtomicFile> {
        let target = target.into();
        let dir = target.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // The process id keeps two writers of the same target (a misconfigured rerun racing an
        // old one) from truncating each other's temporary file; under Slurm the job id joins it,
        // since process ids repeat across the nodes that share OUT.
        let temp = dir.join(format!(".{name}.{}.tmp", writer_id()));
        let file = File::create(&temp)?;
        Ok(AtomicFile {
            target,
            temp,
            file: Some(BufWriter::with_capacity(1 << 20, file)),
        })
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Overwrite bytes already written at `offset` (a header count known only at the end).
    pub fn patch_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        use std::io::{Seek, SeekFrom};
        let Some(buf) = self.file.as_mut() else {
            return Err(io::Error::other("atomic file already finished"));
        };
        buf.flush()?;
        let f = buf.get_mut();
        let end = f.stream_position()?;
        f.seek(SeekFrom::Start(offset))?;
        f.write_all(bytes)?;
        f.seek(SeekFrom::Start(end))?;
        Ok(())
    }

    /// Flush, fsync and rename into place. On failure (a full disk, say) the temporary file is
    /// removed and nothing appears under the final name.
    pub fn finish(mut self) -> io::Result<()> {
        let Some(buf) = self.file.take() else {
            return Err(io::Error::other("atomic file already finished"));
        };
        let landed = (|| {
            let file = buf.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            drop(file);
            // Crash tests stop here (inert unless $TAMIS_HOLD names this file).
            crate::exec::failpoint::hold_before_rename(&self.target);
            fs::rename(&self.temp, &self.target)
        })();
        if let Err(e) = landed {
            let _ = fs::remove_file(&self.temp);
            return Err(e);
        }
        if let Some(dir) = self.target.parent() {
            // Make the rename itself durable; not all filesystems allow opening a directory.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

/// Writes `bytes` to `target` atomically (temp file in the same folder, fsync, rename).
pub fn write_atomic(target: impl Into<PathBuf>, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(target)?;
    f.write_all(bytes)?;
    f.finish()
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.file.as_mut() {
            Some(f) => f.write(buf),
            None => Err(io::Error::other("atomic file already finished")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_visible_before_finish_and_temp_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a/b.txt");
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"hello").unwrap();
        assert!(!target.exists());
        drop(f);
        assert!(!target.exists());
        assert_eq!(fs::read_dir(dir.path().join("a")).unwrap().count(), 0);

        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"hello").unwrap();
        f.finish().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"hello");
        assert_eq!(fs::read_dir(dir.path().join("a")).unwrap().count(), 1);
    }
}
