//! The command-name index: command names to their slot in the table, case
//! insensitively, for the lookup every request starts with.
//!
//! The names are fixed once the table is built (rename-command applies at
//! start), so a small open-addressing table keyed on the name's first 16
//! bytes as two words (hashed by a multiply, compared under a mask that
//! folds letter case) does the job in a few dozen instructions; the
//! general `Dict` (a keyed wyhash and a chain walk, after copying the name
//! to lower case) took about 170 per request.
//! Only our own names are stored and the table is at most half full, so
//! no input can make a lookup probe more than the longest run of slots
//! those names occupy.

/// Case-insensitive map from a command name to a `u32`.
pub struct NameIndex {
    slots: Box<[Slot]>,
    mask: usize,
}

/// One name: its first 16 bytes in lower case as two little-endian words,
/// and masks with 0x20 at each letter, so `(input | mask) == words` is a
/// case-insensitive comparison (a letter in either case becomes the stored
/// one; any other byte must match exactly).
#[derive(Default)]
struct Slot {
    /// 0 for a free slot.
    len: usize,
    words: [u64; 2],
    masks: [u64; 2],
    /// The whole lower-case name when it is longer than 16 bytes.
    long: Box<[u8]>,
    value: u32,
}

impl NameIndex {
    /// An index over `names` (not empty, distinct in any case); each maps
    /// to the value beside it.
    pub fn new<'a>(names: impl Iterator<Item = (&'a [u8], u32)> + Clone) -> NameIndex {
        let n = names.clone().count();
        let size = (n * 2).next_power_of_two().max(16);
        let mut slots: Box<[Slot]> = (0..size).map(|_| Slot::default()).collect();
        let mask = size - 1;
        for (name, value) in names {
            let lower = name.to_ascii_lowercase();
            let words = load(&lower);
            let mut masks = [0u64; 2];
            for (i, b) in lower.iter().take(16).enumerate() {
                if b.is_ascii_lowercase() {
                    masks[i / 8] |= 0x20 << (8 * (i % 8));
                }
            }
            let mut i = hash(lower.len(), words) & mask;
            while slots[i].len != 0 && !slots[i].matches(lower.len(), words, &lower) {
                i = (i + 1) & mask;
            }
            let long = if lower.len() > 16 {
                lower.into_boxed_slice()
            } else {
                Box::default()
            };
            slots[i] = Slot {
                len: name.len(),
                words,
                masks,
                long,
                value,
            };
        }
        NameIndex { slots, mask }
    }

    /// The value of `name`, in any letter case.
    #[inline]
    pub fn get(&self, name: &[u8]) -> Option<u32> {
        if name.is_empty() {
            return None;
        }
        let words = load(name);
        let mut i = hash(name.len(), words) & self.mask;
        loop {
            let s = &self.slots[i];
            if s.len == 0 {
                return None;
            }
            if s.matches(name.len(), words, name) {
                return Some(s.value);
            }
            i = (i + 1) & self.mask;
        }
    }
}

impl Slot {
    #[inline]
    fn matches(&self, len: usize, words: [u64; 2], name: &[u8]) -> bool {
        self.len == len
            && words[0] | self.masks[0] == self.words[0]
            && words[1] | self.masks[1] == self.words[1]
            && (len <= 16 || self.long.eq_ignore_ascii_case(name))
    }
}

/// The first 16 bytes of `b` as two little-endian words, zero-padded.
#[inline]
fn load(b: &[u8]) -> [u64; 2] {
    if let Some(c) = b.first_chunk::<16>() {
        let (lo, hi) = c.split_at(8);
        let mut w = [[0u8; 8]; 2];
        w[0].copy_from_slice(lo);
        w[1].copy_from_slice(hi);
        return [u64::from_le_bytes(w[0]), u64::from_le_bytes(w[1])];
    }
    // Shorter: a byte loop (cheaper than a memcpy call for a few bytes).
    let mut w = [0u64; 2];
    for (i, &x) in b.iter().enumerate() {
        w[i / 8] |= (x as u64) << (8 * (i % 8));
    }
    w
}

/// Folds letter case away (bit 0x20 set in every byte: a fold that also
/// merges some non-letters only costs a probe) and mixes in the length.
#[inline]
fn hash(len: usize, w: [u64; 2]) -> usize {
    const CASE: u64 = 0x2020_2020_2020_2020;
    let h = ((w[0] | CASE) ^ (w[1] | CASE).rotate_left(29) ^ len as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 40) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_name_in_any_case_and_nothing_else() {
        let names: Vec<String> = (0..300).map(|i| format!("cmd{i}_x")).collect();
        let pairs = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_bytes(), i as u32));
        let idx = NameIndex::new(pairs);
        for (i, n) in names.iter().enumerate() {
            assert_eq!(idx.get(n.as_bytes()), Some(i as u32));
            assert_eq!(idx.get(n.to_uppercase().as_bytes()), Some(i as u32));
        }
        for miss in [
            "",
            "cmd",
            "cmd300_x",
            "cmd1_",
            "CMD1_Y",
            "a-very-long-command-name-indeed",
        ] {
            assert_eq!(idx.get(miss.as_bytes()), None, "{miss:?}");
        }
        // `_` and DEL hash alike after the case fold; only `_` matches.
        assert_eq!(idx.get(b"cmd1\x7fx"), None);
    }

    #[test]
    fn real_command_names_resolve() {
        let names = [
            "get",
            "set",
            "georadiusbymember_ro",
            "zremrangebyscore",
            "client",
            "x",
            "georadiusbymember",
        ];
        let idx = NameIndex::new(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_bytes(), i as u32)),
        );
        assert_eq!(idx.get(b"GeoRadiusByMember_RO"), Some(2));
        assert_eq!(idx.get(b"ZREMRANGEBYSCORE"), Some(3));
        assert_eq!(idx.get(b"X"), Some(5));
        assert_eq!(idx.get(b"gett"), None);
        assert_eq!(idx.get(b"GEORADIUSBYMEMBER"), Some(6));
        assert_eq!(idx.get(b"georadiusbymember_rO"), Some(2));
        assert_eq!(idx.get(b"georadiusbymember-ro"), None);
        assert_eq!(idx.get(b"georadiusbymemBER_ro "), None);
        // Only letters fold: a control byte is a letter with bits cleared
        // beyond the case bit, and must not match it.
        assert_eq!(idx.get(b"\x07et"), None);
        assert_eq!(idx.get(b"s\x05t"), None);
    }
}
