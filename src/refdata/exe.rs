//! Reads the embedded blob through the executable file rather than through its mapping.
//!
//! Start-up reads every embedded file once. Pages read through the mapping stay in the
//! service's resident set for its whole life (about 8 MB it never reads again); pages read
//! through the file go to the page cache, which the kernel reclaims as it needs. Where the blob
//! cannot be located in the file (not Linux, an unusual loader) the mapping is read as before.

use std::fs::File;
use std::sync::OnceLock;

/// The executable and the blob's offset in it, when both were found and checked.
struct Located {
    file: File,
    offset: u64,
}

fn located(blob: &'static [u8]) -> Option<&'static Located> {
    static LOCATED: OnceLock<Option<Located>> = OnceLock::new();
    LOCATED.get_or_init(|| locate(blob)).as_ref()
}

/// `len` bytes of the blob from `start`, read from the file; `None` to read the mapping instead.
pub(super) fn read(blob: &'static [u8], start: usize, len: usize) -> Option<Vec<u8>> {
    let at = located(blob)?;
    let mut out = vec![0; len];
    read_at(&at.file, &mut out, at.offset + u64::try_from(start).ok()?).ok()?;
    Some(out)
}

#[cfg(target_os = "linux")]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(target_os = "linux"))]
fn read_at(_: &File, _: &mut [u8], _: u64) -> std::io::Result<()> {
    Err(std::io::Error::other("not supported"))
}

/// Finds the mapping of the executable that holds the blob (`/proc/self/maps`: address range,
/// file offset, inode) and checks the first bytes at the computed offset against the mapping.
#[cfg(target_os = "linux")]
fn locate(blob: &'static [u8]) -> Option<Located> {
    use std::os::unix::fs::MetadataExt;
    let file = File::open("/proc/self/exe").ok()?;
    let inode = file.metadata().ok()?.ino();
    let addr = blob.as_ptr() as usize;
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    let offset = maps.lines().find_map(|line| {
        let mut fields = line.split_ascii_whitespace();
        let (start, end) = fields.next()?.split_once('-')?;
        let (start, end) = (hex(start)?, hex(end)?);
        let offset = hex(fields.nth(1)?)?;
        let line_inode: u64 = fields.nth(1)?.parse().ok()?;
        let inside = start <= addr && addr.checked_add(blob.len())? <= end;
        if inside && line_inode == inode {
            offset.checked_add(addr - start)
        } else {
            None
        }
    })?;
    let offset = u64::try_from(offset).ok()?;
    let probe = blob.get(..blob.len().min(4096))?;
    let mut read = vec![0; probe.len()];
    read_at(&file, &mut read, offset).ok()?;
    (read == probe).then_some(Located { file, offset })
}

#[cfg(not(target_os = "linux"))]
fn locate(_: &'static [u8]) -> Option<Located> {
    None
}

#[cfg(target_os = "linux")]
fn hex(s: &str) -> Option<usize> {
    usize::from_str_radix(s, 16).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn reads_the_same_bytes_as_the_mapping() {
        let blob = super::super::embedded::BLOB;
        assert!(blob.len() > 1000, "the embedded data is in the binary");
        let at = blob.len() / 2;
        let read = super::read(blob, at, 100).expect("the blob found in the executable");
        assert_eq!(read, blob[at..at + 100]);
    }
}
