//! The text of a file of people: which encoding it is in (found by reading the whole file
//! once, in bounded memory, before any row is used), and its rows as UTF-8, streamed.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The text encodings [`read_text`] and [`crate::PeopleFile`] read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8").
    Utf8,
    /// UTF-16, little-endian, after its byte-order mark (Excel's "Unicode Text").
    Utf16Le,
    /// UTF-16, big-endian, after its byte-order mark.
    Utf16Be,
    /// GB18030, a superset of GBK (Excel's "CSV" on Chinese Windows).
    Gb18030,
}

impl TextEncoding {
    /// The encoding's usual name: `UTF-8`, `UTF-16LE`, `UTF-16BE` or `GB18030`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Utf16Le => "UTF-16LE",
            Self::Utf16Be => "UTF-16BE",
            Self::Gb18030 => "GB18030",
        }
    }

    fn encoding_rs(self) -> &'static encoding_rs::Encoding {
        match self {
            Self::Utf8 => encoding_rs::UTF_8,
            Self::Utf16Le => encoding_rs::UTF_16LE,
            Self::Utf16Be => encoding_rs::UTF_16BE,
            Self::Gb18030 => encoding_rs::GB18030,
        }
    }
}

impl std::fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A file's text and the encoding it was read as. No `Debug`: the text is personal data.
pub struct Decoded {
    /// The text, without its byte-order mark.
    pub text: String,
    /// The encoding the bytes were read as.
    pub encoding: TextEncoding,
}

/// Reads and decodes a whole text file the way Excel may have saved it: a byte-order mark
/// says UTF-8, UTF-16LE or UTF-16BE; without one, valid UTF-8 is UTF-8, and anything else is
/// read as GB18030 (a superset of GBK) only when it decodes as GB18030 without a single error.
///
/// A file that is UTF-8 but for a few bytes is refused rather than read as GB18030, whose
/// decoding of UTF-8 text is garbage that would be sent to a paid vendor.
///
/// The whole text is held in memory: for a file of people, [`crate::PeopleFile`] streams it.
///
/// # Errors
///
/// The file cannot be read, is not a regular file, or is none of these encodings: the
/// message gives the byte offset of the first byte that is not UTF-8 (never the file's
/// content).
pub fn read_text(path: &Path) -> Result<Decoded, String> {
    regular_file(path)?;
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    decode(&bytes)
}

/// Refuses what is not a regular file: a device or a pipe (/dev/zero, /dev/urandom) would be
/// read until memory runs out, a directory cannot be read.
pub(crate) fn regular_file(path: &Path) -> Result<(), String> {
    let metadata =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if metadata.is_file() {
        Ok(())
    } else {
        Err(format!("{} is not a regular file", path.display()))
    }
}

/// [`read_text`] on bytes.
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded, String> {
    let sniffed = sniff(bytes).map_err(SniffError::message)?;
    let body = &bytes[sniffed.bom..];
    let text = match sniffed.encoding {
        TextEncoding::Utf8 => std::str::from_utf8(body).map(str::to_owned).ok(),
        other => other
            .encoding_rs()
            .decode_without_bom_handling_and_without_replacement(body)
            .map(std::borrow::Cow::into_owned),
    };
    // `sniff` read every byte as this encoding already.
    let text = text.ok_or_else(|| "the file could not be decoded".to_owned())?;
    Ok(Decoded {
        text,
        encoding: sniffed.encoding,
    })
}

/// What [`sniff`] found: the encoding and the length of the byte-order mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sniffed {
    pub(crate) encoding: TextEncoding,
    pub(crate) bom: usize,
}

/// Why [`sniff`] refused a file.
#[derive(Debug)]
pub(crate) enum SniffError {
    /// The bytes were read but are none of the encodings: the message says why, and where.
    Refused(String),
    /// The bytes could not be read.
    Io(io::Error),
}

impl SniffError {
    fn message(self) -> String {
        match self {
            Self::Refused(message) => message,
            Self::Io(e) => format!("cannot read the file: {e}"),
        }
    }

    /// The message, naming the file for a read error.
    pub(crate) fn message_for(self, path: &Path) -> String {
        match self {
            Self::Refused(message) => message,
            Self::Io(e) => format!("cannot read {}: {e}", path.display()),
        }
    }
}

impl From<io::Error> for SniffError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// Leading bytes of spreadsheet workbooks: a ZIP archive (`.xlsx`) and an OLE file (`.xls`).
const WORKBOOK_MAGIC: [&[u8]; 2] = [b"PK\x03\x04", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"];

/// Bytes read at a time while sniffing.
const SNIFF_CHUNK: usize = 256 * 1024;

/// Something that can be read from its start, again: a file, or bytes in memory.
pub(crate) trait Source {
    /// A reader at the first byte.
    fn open(&self) -> io::Result<Box<dyn Read + '_>>;
}

impl Source for [u8] {
    fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(self))
    }
}

impl Source for Path {
    fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(File::open(self)?))
    }
}

/// Finds the encoding of all the bytes of `source` exactly as [`read_text`] always has,
/// reading them in chunks (at most three times, for a file that is not UTF-8), never all at
/// once.
pub(crate) fn sniff<S: Source + ?Sized>(source: &S) -> Result<Sniffed, SniffError> {
    let mut reader = source.open()?;
    let mut buffer = vec![0; SNIFF_CHUNK];
    // The first bytes: a byte-order mark, a workbook's magic.
    let mut filled = 0;
    while filled < 8 {
        let n = read_some(&mut reader, &mut buffer[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(&buffer[..filled]) {
        let (encoding, name) = if encoding == encoding_rs::UTF_16LE {
            (encoding, TextEncoding::Utf16Le)
        } else if encoding == encoding_rs::UTF_16BE {
            (encoding, TextEncoding::Utf16Be)
        } else {
            (encoding_rs::UTF_8, TextEncoding::Utf8)
        };
        let offset = first_malformed(encoding, &buffer[bom..filled], &mut reader)?;
        if let Some(offset) = offset {
            return Err(SniffError::Refused(format!(
                "the file starts with a {name} byte-order mark but is not {name} (first bad byte at offset {}): save it again as \"CSV UTF-8\"",
                bom + offset
            )));
        }
        return Ok(Sniffed {
            encoding: name,
            bom,
        });
    }
    let Some(first_bad) = first_non_utf8(&mut buffer, filled, &mut reader)? else {
        return Ok(Sniffed {
            encoding: TextEncoding::Utf8,
            bom: 0,
        });
    };
    if WORKBOOK_MAGIC
        .iter()
        .any(|magic| buffer[..filled].starts_with(magic))
    {
        return Err(SniffError::Refused(
            "the file is a spreadsheet workbook (.xlsx or .xls), not CSV: save it as \"CSV UTF-8\""
                .to_owned(),
        ));
    }
    // Read again: is it damaged UTF-8, or GB18030?
    let (mostly_utf8, gb18030) = utf8_share_and_gb18030(&mut *source.open()?, &mut buffer)?;
    if mostly_utf8 {
        return Err(SniffError::Refused(format!(
            "the file is UTF-8 but for some bytes (the first at offset {first_bad}): it is damaged or mixes encodings; save it again as \"CSV UTF-8\""
        )));
    }
    if gb18030 {
        Ok(Sniffed {
            encoding: TextEncoding::Gb18030,
            bom: 0,
        })
    } else {
        Err(SniffError::Refused(format!(
            "the file is not UTF-8 (first bad byte at offset {first_bad}), nor UTF-16 with a byte-order mark, nor GB18030/GBK: save it as \"CSV UTF-8\""
        )))
    }
}

/// `read`, retried when interrupted.
fn read_some(reader: &mut dyn Read, buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buffer) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Decodes `head` then the rest of `reader` as `encoding` into a scratch buffer: the offset
/// (from the start of `head`) of the first byte of the first malformed sequence, if any.
fn first_malformed(
    encoding: &'static encoding_rs::Encoding,
    head: &[u8],
    reader: &mut dyn Read,
) -> io::Result<Option<usize>> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut scratch = vec![0; SNIFF_CHUNK * 3 + 16];
    let mut chunk = vec![0; SNIFF_CHUNK];
    let mut consumed = 0_usize;
    let mut pending = head.len();
    chunk[..pending].copy_from_slice(head);
    let mut last = false;
    loop {
        let mut start = 0;
        loop {
            let (result, read, _) = decoder.decode_to_utf8_without_replacement(
                &chunk[start..pending],
                &mut scratch,
                last,
            );
            start += read;
            consumed += read;
            match result {
                encoding_rs::DecoderResult::InputEmpty => break,
                encoding_rs::DecoderResult::OutputFull => {}
                encoding_rs::DecoderResult::Malformed(bad, after) => {
                    return Ok(Some(
                        consumed.saturating_sub(usize::from(bad) + usize::from(after)),
                    ));
                }
            }
        }
        if last {
            return Ok(None);
        }
        pending = read_some(reader, &mut chunk)?;
        last = pending == 0;
    }
}

/// Validates as UTF-8 the `filled` bytes in `buffer` then the rest of `reader`: the offset of
/// the first byte that is not UTF-8 (an incomplete sequence at the end included), if any.
fn first_non_utf8(
    buffer: &mut [u8],
    mut filled: usize,
    reader: &mut dyn Read,
) -> io::Result<Option<usize>> {
    // Bytes before `buffer[0]`.
    let mut offset = 0_usize;
    let mut eof = false;
    loop {
        match std::str::from_utf8(&buffer[..filled]) {
            Ok(_) => {
                offset += filled;
                filled = 0;
            }
            Err(e) if e.error_len().is_none() && !eof => {
                // A sequence cut by the end of the buffer: keep it for the next read.
                let valid = e.valid_up_to();
                buffer.copy_within(valid..filled, 0);
                offset += valid;
                filled -= valid;
            }
            Err(e) => return Ok(Some(offset + e.valid_up_to())),
        }
        if eof {
            return Ok(None);
        }
        let n = read_some(reader, &mut buffer[filled..])?;
        eof = n == 0;
        filled += n;
    }
}

/// Reads all of `reader` once: whether valid UTF-8 characters of two or more bytes outnumber
/// invalid sequences eight to one (a damaged or mixed UTF-8 file: in GBK text, only about one
/// character in seven happens to look like UTF-8), and whether the bytes decode as GB18030
/// without an error.
fn utf8_share_and_gb18030(reader: &mut dyn Read, buffer: &mut [u8]) -> io::Result<(bool, bool)> {
    let mut share = Utf8Share::default();
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut gb18030 = true;
    let mut scratch = vec![0; buffer.len() * 3 + 16];
    let mut carried = 0;
    loop {
        let n = read_some(reader, &mut buffer[carried..])?;
        let eof = n == 0;
        if gb18030 {
            let mut start = carried;
            loop {
                let (result, read, _) = decoder.decode_to_utf8_without_replacement(
                    &buffer[start..carried + n],
                    &mut scratch,
                    eof,
                );
                start += read;
                match result {
                    encoding_rs::DecoderResult::InputEmpty => break,
                    encoding_rs::DecoderResult::OutputFull => {}
                    encoding_rs::DecoderResult::Malformed(..) => {
                        gb18030 = false;
                        break;
                    }
                }
            }
        }
        let filled = carried + n;
        carried = share.count(&buffer[..filled], eof);
        buffer.copy_within(filled - carried..filled, 0);
        if eof {
            return Ok((share.mostly_utf8(), gb18030));
        }
    }
}

/// Counts of valid multibyte UTF-8 characters and of invalid sequences, as
/// [`slice::utf8_chunks`] sees them, over bytes given in pieces.
#[derive(Default)]
struct Utf8Share {
    multibyte: usize,
    invalid: usize,
}

impl Utf8Share {
    /// Counts `bytes`; returns how many bytes at the end were not counted because they start
    /// a sequence the next piece may complete (never at the end of the input).
    fn count(&mut self, bytes: &[u8], eof: bool) -> usize {
        let mut counted = 0;
        for chunk in bytes.utf8_chunks() {
            let valid = chunk.valid();
            let invalid = chunk.invalid();
            let end = counted + valid.len() + invalid.len();
            if !eof
                && end == bytes.len()
                && !invalid.is_empty()
                && std::str::from_utf8(invalid).is_err_and(|e| e.error_len().is_none())
            {
                self.multibyte += lead_bytes(valid.as_bytes());
                return invalid.len();
            }
            self.multibyte += lead_bytes(valid.as_bytes());
            self.invalid += usize::from(!invalid.is_empty());
            counted = end;
        }
        0
    }

    fn mostly_utf8(&self) -> bool {
        self.invalid > 0 && self.multibyte >= self.invalid.saturating_mul(8)
    }
}

/// Characters of two or more bytes in valid UTF-8: their lead bytes.
fn lead_bytes(valid: &[u8]) -> usize {
    valid.iter().filter(|&&b| b >= 0xC0).count()
}

/// The longest row the file reader lets through, in bytes of UTF-8: far more than any row of
/// people, far less than memory.
pub const MAX_ROW_BYTES: u64 = 1 << 20;

/// A file's text as UTF-8, decoded as it is read (the byte-order mark skipped), that fails
/// with [`io::ErrorKind::InvalidData`] once more than [`MAX_ROW_BYTES`] have been read past
/// the last [`TextReader::mark`] (the start of the row being read): a 200 MB line, or an
/// unclosed quote, never fills memory.
pub(crate) struct TextReader<R> {
    inner: R,
    decoder: Option<encoding_rs::Decoder>,
    /// Undecoded bytes, `raw[raw_start..raw_end]` pending.
    raw: Vec<u8>,
    raw_start: usize,
    raw_end: usize,
    /// Decoded bytes, `out[out_start..out_end]` pending.
    out: Vec<u8>,
    out_start: usize,
    out_end: usize,
    input: Input,
    /// UTF-8 bytes handed out so far, and where the current row started.
    passed: u64,
    row_start: u64,
    limit: u64,
    failure: Option<Failure>,
}

/// How far the undecoded input is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Input {
    /// More may come.
    Reading,
    /// The end was read; some may still be decoded.
    Drained,
    /// Everything is decoded.
    Decoded,
}

/// Why a [`TextReader`] stopped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Failure {
    TooLong,
    Changed,
}

/// Bytes decoded at a time.
const DECODE_CHUNK: usize = 64 * 1024;

impl<R: Read> TextReader<R> {
    /// Reads `inner` (positioned after the byte-order mark) as `encoding`.
    pub(crate) fn new(inner: R, encoding: TextEncoding) -> Self {
        let decoder = (encoding != TextEncoding::Utf8)
            .then(|| encoding.encoding_rs().new_decoder_without_bom_handling());
        let buffers = if decoder.is_some() { DECODE_CHUNK } else { 0 };
        Self {
            inner,
            decoder,
            raw: vec![0; buffers],
            raw_start: 0,
            raw_end: 0,
            out: vec![0; buffers * 2],
            out_start: 0,
            out_end: 0,
            input: Input::Reading,
            passed: 0,
            row_start: 0,
            limit: MAX_ROW_BYTES,
            failure: None,
        }
    }

    /// No limit on the length of a row (for text already in memory).
    pub(crate) fn without_row_limit(mut self) -> Self {
        self.limit = u64::MAX;
        self
    }

    /// The row being read starts at `byte` (of UTF-8 text handed out).
    pub(crate) fn mark(&mut self, byte: u64) {
        self.row_start = byte;
    }

    /// Whether reading stopped at a row over [`MAX_ROW_BYTES`].
    pub(crate) fn too_long(&self) -> bool {
        self.failure == Some(Failure::TooLong)
    }

    /// Whether reading stopped at bytes that are no longer the encoding the file was found in.
    pub(crate) fn changed(&self) -> bool {
        self.failure == Some(Failure::Changed)
    }

    fn decode_into(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_start < self.out_end {
                let n = buf.len().min(self.out_end - self.out_start);
                buf[..n].copy_from_slice(&self.out[self.out_start..self.out_start + n]);
                self.out_start += n;
                return Ok(n);
            }
            if self.input == Input::Decoded {
                return Ok(0);
            }
            if self.raw_start == self.raw_end && self.input == Input::Reading {
                self.raw_start = 0;
                self.raw_end = read_some(&mut self.inner, &mut self.raw)?;
                if self.raw_end == 0 {
                    self.input = Input::Drained;
                }
            }
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let (result, read, written) = decoder.decode_to_utf8_without_replacement(
                &self.raw[self.raw_start..self.raw_end],
                &mut self.out,
                self.input == Input::Drained,
            );
            self.raw_start += read;
            self.out_start = 0;
            self.out_end = written;
            match result {
                encoding_rs::DecoderResult::InputEmpty => {
                    if self.input == Input::Drained {
                        self.input = Input::Decoded;
                    }
                }
                encoding_rs::DecoderResult::OutputFull => {}
                encoding_rs::DecoderResult::Malformed(..) => {
                    self.failure = Some(Failure::Changed);
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the file changed while it was read",
                    ));
                }
            }
        }
    }
}

impl<R: Read> Read for TextReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.passed - self.row_start > self.limit {
            self.failure = Some(Failure::TooLong);
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a row is too long",
            ));
        }
        let n = if self.decoder.is_some() {
            self.decode_into(buf)?
        } else {
            read_some(&mut self.inner, buf)?
        };
        self.passed += n as u64;
        Ok(n)
    }
}

/// Opens `path` for [`TextReader`] as `sniffed` found it: positioned after the byte-order mark.
pub(crate) fn open_text(path: &Path, sniffed: Sniffed) -> io::Result<TextReader<File>> {
    let mut file = File::open(path)?;
    let mut bom = [0; 3];
    file.read_exact(&mut bom[..sniffed.bom])?;
    Ok(TextReader::new(file, sniffed.encoding))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The whole-buffer rule this module streams.
    fn mostly_utf8_whole(bytes: &[u8]) -> bool {
        let (mut multibyte, mut invalid) = (0_usize, 0_usize);
        for chunk in bytes.utf8_chunks() {
            multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
            invalid += usize::from(!chunk.invalid().is_empty());
        }
        invalid > 0 && multibyte >= invalid.saturating_mul(8)
    }

    /// A reader that hands out at most `step` bytes a call.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    fn share_in_pieces(bytes: &[u8], step: usize) -> (bool, bool) {
        let mut buffer = vec![0; step.max(4)];
        utf8_share_and_gb18030(&mut Trickle { bytes, step }, &mut buffer).unwrap()
    }

    #[test]
    fn a_sequence_cut_between_reads_is_counted_once() {
        let text = "张三李四王五".repeat(3);
        let mut bytes = text.as_bytes().to_vec();
        bytes.insert(6, 0xFF);
        for step in 1..10 {
            assert_eq!(share_in_pieces(&bytes, step).0, mostly_utf8_whole(&bytes));
            let mut buffer = vec![0; step + 4];
            assert_eq!(
                first_non_utf8(
                    &mut buffer,
                    0,
                    &mut Trickle {
                        bytes: &bytes,
                        step
                    }
                )
                .unwrap(),
                Some(6)
            );
        }
    }

    fn read_all(mut reader: impl Read) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = [0; 7];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn a_row_over_the_limit_stops_the_reader() {
        let mut reader = TextReader::new(&b"0123456789"[..], TextEncoding::Utf8);
        reader.limit = 4;
        let error = read_all(&mut reader).err().unwrap();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(reader.too_long());
        let mut reader = TextReader::new(&b"0123456789"[..], TextEncoding::Utf8);
        reader.limit = 4;
        let mut buf = [0; 3];
        for at in [0, 3, 6, 9] {
            reader.mark(at);
            assert!(reader.read(&mut buf).unwrap() > 0);
        }
    }

    proptest! {
        #[test]
        fn streamed_sniffing_agrees_with_whole_buffer_rules(
            bytes in proptest::collection::vec(prop_oneof![any::<u8>(), Just(0xE5_u8), Just(0x80_u8), Just(b'a')], 0..300),
            step in 1..40_usize,
        ) {
            let (mostly, gb) = share_in_pieces(&bytes, step);
            prop_assert_eq!(mostly, mostly_utf8_whole(&bytes));
            prop_assert_eq!(gb, encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(&bytes).is_some());
            let mut buffer = vec![0; step + 4];
            let first_bad = first_non_utf8(&mut buffer, 0, &mut Trickle { bytes: &bytes, step }).unwrap();
            prop_assert_eq!(first_bad, std::str::from_utf8(&bytes).err().map(|e| e.valid_up_to()));
        }

        #[test]
        fn decoded_text_streams_as_its_utf8(text in "\\PC{0,200}") {
            for encoding in [TextEncoding::Utf16Le, TextEncoding::Utf16Be, TextEncoding::Gb18030] {
                let bytes: Vec<u8> = match encoding {
                    TextEncoding::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
                    TextEncoding::Utf16Be => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
                    _ => encoding_rs::GB18030.encode(&text).0.into_owned(),
                };
                let reader = TextReader::new(Trickle { bytes: &bytes, step: 5 }, encoding);
                prop_assert_eq!(read_all(reader).unwrap(), text.as_bytes());
            }
        }
    }
}
