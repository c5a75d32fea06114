//! Bounds on what a hostile file may make etcd-pki spend before it is even read: the key
//! derivation cost an encrypted CA key asks for, and the entry count and declared sizes of a
//! bundle's zip. Each is checked from the file's own header fields before any buffer is sized
//! from them, on the command line and in the page's worker alike (both read keys through
//! `ca_key` and bundles through `package::open`). An honest file is far below every limit.

use crate::error::Error;

/// PBKDF2 rounds: etcd-pki writes 600,000, OpenSSL 3 2,048; 10 million take seconds natively
/// and far longer in a page.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// scrypt's memory is 128·N·r bytes: at most 256 MiB (OpenSSL itself stops at 32 MiB).
pub const MAX_SCRYPT_MEMORY: u64 = 256 * 1024 * 1024;
/// scrypt's p multiplies the work: at most 16.
pub const MAX_SCRYPT_P: u16 = 16;

/// The most entries a bundle's zip may have (a 100-member bundle has about 3,000).
pub const MAX_ZIP_ENTRIES: u64 = 20_000;
/// The largest file inside a bundle (the biggest is a README of some kilobytes).
pub const MAX_ZIP_FILE: u64 = 16 * 1024 * 1024;
/// The most bytes one zip may unpack to in all.
pub const MAX_ZIP_TOTAL: u64 = 256 * 1024 * 1024;

fn costly(what: String) -> Error {
    Error::CaUnsupported {
        what: format!(
            "{what}: a key from a normal tool never asks for that, so etcd-pki does not try; \
             if the key is yours, re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in \
             ca.key -out ca-new.key`"
        ),
    }
}

/// Refuses key derivation parameters beyond the limits above, naming the one exceeded.
pub(crate) fn check_kdf(scheme: &pkcs8::pkcs5::EncryptionScheme) -> Result<(), Error> {
    use pkcs8::pkcs5::pbes2::Kdf;
    let pkcs8::pkcs5::EncryptionScheme::Pbes2(params) = scheme else {
        return Ok(());
    };
    match &params.kdf {
        Kdf::Pbkdf2(p) if p.iteration_count > MAX_PBKDF2_ITERATIONS => Err(costly(format!(
            "the CA key's encryption asks for {} PBKDF2 iterations, more than the limit of {}",
            p.iteration_count, MAX_PBKDF2_ITERATIONS
        ))),
        Kdf::Scrypt(s) => {
            let memory = 128u64
                .saturating_mul(s.cost_parameter)
                .saturating_mul(u64::from(s.block_size));
            if memory > MAX_SCRYPT_MEMORY {
                Err(costly(format!(
                    "the CA key's encryption asks scrypt for {} MiB of memory (N={}, r={}), more \
                     than the limit of {} MiB",
                    memory / (1024 * 1024),
                    s.cost_parameter,
                    s.block_size,
                    MAX_SCRYPT_MEMORY / (1024 * 1024)
                )))
            } else if s.parallelization > MAX_SCRYPT_P {
                Err(costly(format!(
                    "the CA key's encryption asks scrypt for p={}, more than the limit of {}",
                    s.parallelization, MAX_SCRYPT_P
                )))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

fn zip_refused(what: String) -> Error {
    Error::BadBundle(format!(
        "{what}; a bundle is far smaller: is this the right file? Nothing was unpacked"
    ))
}

fn u16_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}
fn u32_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u32::from_le_bytes(
        b.get(at..at + 4)?.try_into().ok()?,
    )))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Reads the zip's end records and central directory by hand (nothing allocated from them)
/// and refuses more than [`MAX_ZIP_ENTRIES`] entries, one declared larger than
/// [`MAX_ZIP_FILE`], or all together more than [`MAX_ZIP_TOTAL`]. A file that is not a zip
/// passes: the zip reader then says so.
pub(crate) fn check_zip(bytes: &[u8]) -> Result<(), Error> {
    // The end of central directory record: 22 bytes and a comment of up to 65,535.
    let from = bytes.len().saturating_sub(22 + 65_535);
    let Some(eocd) = (from..bytes.len().saturating_sub(21))
        .rev()
        .find(|&i| bytes[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
    else {
        return Ok(());
    };
    let (mut entries, mut cd_size) = (u16_at(bytes, eocd + 10), u32_at(bytes, eocd + 12));
    // Zip64: the locator just before points at the zip64 end record, whose fields count.
    if eocd >= 20
        && bytes[eocd - 20..eocd - 16] == [0x50, 0x4b, 0x06, 0x07]
        && let Some(at) = u64_at(bytes, eocd - 12).and_then(|a| usize::try_from(a).ok())
        && bytes.get(at..at + 4) == Some(&[0x50, 0x4b, 0x06, 0x06][..])
    {
        entries = u64_at(bytes, at + 32);
        cd_size = u64_at(bytes, at + 40);
    }
    let (Some(entries), Some(cd_size)) = (entries, cd_size) else {
        return Ok(());
    };
    if entries > MAX_ZIP_ENTRIES {
        return Err(zip_refused(format!(
            "the zip says it has {entries} entries, more than the limit of {MAX_ZIP_ENTRIES}"
        )));
    }
    // The central directory ends where the end records begin, whatever offset it claims (a
    // zip with something prepended is still read by the zip crate).
    let end = bytes[..eocd]
        .windows(4)
        .rposition(|w| w == [0x50, 0x4b, 0x06, 0x06])
        .filter(|_| eocd >= 20 && bytes[eocd - 20..eocd - 16] == [0x50, 0x4b, 0x06, 0x07])
        .unwrap_or(eocd);
    let Some(mut at) = usize::try_from(cd_size)
        .ok()
        .and_then(|s| end.checked_sub(s))
    else {
        return Ok(());
    };
    let mut total = 0u64;
    for _ in 0..entries {
        if bytes.get(at..at + 4) != Some(&[0x50, 0x4b, 0x01, 0x02][..]) {
            break;
        }
        let (Some(mut size), Some(name_len), Some(extra_len), Some(comment_len)) = (
            u32_at(bytes, at + 24),
            u16_at(bytes, at + 28),
            u16_at(bytes, at + 30),
            u16_at(bytes, at + 32),
        ) else {
            break;
        };
        let name_at = at + 46;
        let name_end = name_at + name_len as usize;
        let extra_end = name_end + extra_len as usize;
        if size == 0xFFFF_FFFF {
            // The zip64 extra field (id 1) holds the real size first.
            let mut e = name_end;
            while e + 4 <= extra_end.min(bytes.len()) {
                let (id, len) = (u16_at(bytes, e), u16_at(bytes, e + 2));
                if id == Some(1) {
                    size = u64_at(bytes, e + 4).unwrap_or(u64::MAX);
                    break;
                }
                e += 4 + len.unwrap_or(0) as usize;
            }
        }
        let name = || {
            crate::rules::shown(&String::from_utf8_lossy(
                bytes.get(name_at..name_end).unwrap_or_default(),
            ))
        };
        if size > MAX_ZIP_FILE {
            return Err(zip_refused(format!(
                "the zip's entry {} says it unpacks to {size} bytes, more than the limit of \
                 {MAX_ZIP_FILE} for one file",
                name()
            )));
        }
        total = total.saturating_add(size);
        if total > MAX_ZIP_TOTAL {
            return Err(zip_refused(format!(
                "the zip's entries up to {} say they unpack to more than the limit of \
                 {MAX_ZIP_TOTAL} bytes in all",
                name()
            )));
        }
        at = extra_end + comment_len as usize;
    }
    Ok(())
}
