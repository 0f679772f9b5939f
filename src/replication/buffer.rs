//! The replication buffer (Redis 7.0 replication.c: the shared
//! `repl_buffer_blocks` list that the backlog and every replica read from,
//! createReplicationBacklog / feedReplicationBuffer /
//! incrementalTrimReplicationBacklog).
//!
//! The master's command stream is stored once, in blocks of at least
//! 16 KiB. The backlog is the span from the first block to the end, kept
//! at least `repl-backlog-size` long; each replica reads it from its own
//! offset. A block is freed only when the backlog no longer needs it *and*
//! no replica has still to send it, so a slow replica makes the backlog
//! grow past its configured size instead of costing a second copy of the
//! stream per replica (what `mem_total_replication_buffers` reports).
//!
//! Offsets are replication offsets: the stream's byte number n (the first
//! byte ever is 1) sits at offset n; `end()` is the offset the next byte
//! will get, i.e. master_repl_offset + 1.
//!
//! Invariants: blocks are contiguous (`blocks[i+1].start == blocks[i].start
//! + blocks[i].data.len()`), none is empty, and the last one ends at `end`.

use std::collections::VecDeque;

/// Redis' PROTO_REPLY_CHUNK_BYTES: the size a new block gets.
pub const BLOCK_BYTES: usize = 16 * 1024;

struct Block {
    /// Offset of `data[0]`.
    start: i64,
    data: Vec<u8>,
}

pub struct ReplBuffer {
    blocks: VecDeque<Block>,
    /// Offset of the next byte appended.
    end: i64,
    /// Bytes allocated by the blocks (mem_total_replication_buffers).
    mem: usize,
}

impl ReplBuffer {
    /// An empty buffer whose next byte will be at offset `end`.
    pub fn new(end: i64) -> ReplBuffer {
        ReplBuffer {
            blocks: VecDeque::new(),
            end,
            mem: 0,
        }
    }

    /// Offset of the next byte appended (master_repl_offset + 1).
    pub fn end(&self) -> i64 {
        self.end
    }

    /// First offset still held (repl_backlog_first_byte_offset); `end()`
    /// when nothing is held.
    pub fn first(&self) -> i64 {
        self.blocks.front().map_or(self.end, |b| b.start)
    }

    /// Bytes held (repl_backlog_histlen).
    pub fn histlen(&self) -> i64 {
        self.end - self.first()
    }

    /// Bytes allocated for the blocks.
    pub fn mem(&self) -> usize {
        self.mem
    }

    /// Shift every offset by `delta` (a master restarting continues the
    /// offsets its RDB file recorded).
    pub fn rebase(&mut self, delta: i64) {
        for b in self.blocks.iter_mut() {
            b.start += delta;
        }
        self.end += delta;
    }

    /// Restart the offsets (a new history after a full resync as replica):
    /// drops everything held.
    pub fn reset(&mut self, end: i64) {
        self.blocks.clear();
        self.mem = 0;
        self.end = end;
    }

    /// Append `bytes` to the stream. A new block takes a big write whole,
    /// but never more than a sixteenth of `backlog_size` (and at least
    /// 16 KiB), as in Redis 7.0.15: one huge block could not be trimmed
    /// while a reader still needs a few bytes of it, so the backlog would
    /// keep a big write long past its configured size.
    pub fn append(&mut self, mut bytes: &[u8], backlog_size: usize) {
        let max_block = BLOCK_BYTES.max(backlog_size / 16);
        while !bytes.is_empty() {
            let room = match self.blocks.back() {
                Some(b) => b.data.capacity() - b.data.len(),
                None => 0,
            };
            if room == 0 {
                let cap = BLOCK_BYTES.max(bytes.len().min(max_block));
                self.blocks.push_back(Block {
                    start: self.end,
                    data: Vec::with_capacity(cap),
                });
                self.mem += cap;
                continue;
            }
            let n = room.min(bytes.len());
            if let Some(b) = self.blocks.back_mut() {
                b.data.extend_from_slice(&bytes[..n]);
            }
            self.end += n as i64;
            bytes = &bytes[n..];
        }
    }

    /// The bytes from `off` to the end of the block holding it (empty at
    /// `end()`); None when `off` is no longer (or not yet) held.
    pub fn chunk_at(&self, off: i64) -> Option<&[u8]> {
        if off == self.end {
            return Some(&[]);
        }
        if off < self.first() || off > self.end {
            return None;
        }
        // Blocks are ordered by start: the last one starting at or before off.
        let idx = self.blocks.partition_point(|b| b.start <= off) - 1;
        let b = &self.blocks[idx];
        Some(&b.data[(off - b.start) as usize..])
    }

    /// Whether a replica may continue from `off` (PSYNC): the backlog
    /// still holds it, or it is exactly the end.
    pub fn holds(&self, off: i64) -> bool {
        off >= self.first() && off <= self.end
    }

    /// Bytes held from `off` to the end: what a replica at `off` still has
    /// to receive (its share of the output buffer limit).
    pub fn pending_from(&self, off: i64) -> usize {
        (self.end - off.max(self.first())).max(0) as usize
    }

    /// Free the oldest blocks that nobody needs: the backlog keeps at least
    /// `backlog_size` bytes; `oldest_reader` is the smallest offset a
    /// replica has still to send (None: no reader). The newest block is
    /// always kept, so `first()` stays meaningful.
    pub fn trim(&mut self, backlog_size: usize, oldest_reader: Option<i64>) {
        while self.blocks.len() > 1 {
            let (start, len, cap) = match self.blocks.front() {
                Some(b) => (b.start, b.data.len(), b.data.capacity()),
                None => return,
            };
            let next_start = start + len as i64;
            // The backlog would still be long enough without this block.
            let backlog_ok = (self.end - next_start) as usize >= backlog_size;
            let reader_ok = oldest_reader.is_none_or(|r| r >= next_start);
            if !(backlog_ok && reader_ok) {
                break;
            }
            self.blocks.pop_front();
            self.mem -= cap;
        }
        // The queue grew while a replica lagged: give that memory back
        // once the blocks are gone (it counts against maxmemory).
        let keep = self.blocks.len().max(16);
        if self.blocks.capacity() > 4 * keep {
            self.blocks.shrink_to(2 * keep);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(b: &ReplBuffer, mut off: i64) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(c) = b.chunk_at(off) {
            if c.is_empty() {
                break;
            }
            out.extend_from_slice(c);
            off += c.len() as i64;
        }
        out
    }

    #[test]
    fn bytes_read_back_from_any_offset_across_blocks() {
        let mut b = ReplBuffer::new(1);
        let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        for chunk in data.chunks(777) {
            b.append(chunk, 1 << 20);
        }
        assert_eq!(b.end(), 50_001);
        assert_eq!(b.histlen(), 50_000);
        assert_eq!(collect(&b, 1), data);
        assert_eq!(collect(&b, 20_000), data[19_999..].to_vec());
        assert_eq!(b.chunk_at(50_001), Some(&[][..]));
        assert_eq!(b.chunk_at(50_002), None);
        assert_eq!(b.chunk_at(0), None);
    }

    #[test]
    fn trim_gives_back_the_queue_of_a_lagging_reader() {
        let mut b = ReplBuffer::new(1);
        for _ in 0..1000 {
            b.append(&[1u8; BLOCK_BYTES], BLOCK_BYTES);
        }
        assert!(b.blocks.capacity() >= 1000);
        b.trim(BLOCK_BYTES, None);
        assert!(b.blocks.len() <= 2);
        assert!(b.blocks.capacity() <= 64);
    }

    #[test]
    fn trim_keeps_the_backlog_size_and_what_readers_need() {
        let mut b = ReplBuffer::new(101);
        for _ in 0..10 {
            b.append(&[7u8; BLOCK_BYTES], BLOCK_BYTES);
        }
        // A reader at the very start pins everything.
        b.trim(BLOCK_BYTES, Some(101));
        assert_eq!(b.first(), 101);
        // Without it, the backlog shrinks to whole blocks covering its size.
        b.trim(BLOCK_BYTES, None);
        assert_eq!(b.histlen(), BLOCK_BYTES as i64);
        assert_eq!(b.mem(), BLOCK_BYTES);
        assert!(b.holds(b.end() - 10) && !b.holds(101));
    }

    #[test]
    fn a_big_write_gets_one_block_and_pending_counts_held_bytes() {
        let mut b = ReplBuffer::new(1);
        b.append(&[1u8; 100_000], 1 << 30);
        assert_eq!(b.mem(), 100_000);
        assert_eq!(b.blocks.len(), 1);
        assert_eq!(b.pending_from(1), 100_000);
        assert_eq!(b.pending_from(99_001), 1_000);
        b.reset(500);
        assert_eq!((b.first(), b.end(), b.mem()), (500, 500, 0));
    }

    #[test]
    fn blocks_stay_under_a_sixteenth_of_the_backlog_so_a_big_write_trims() {
        let backlog = 16 * BLOCK_BYTES * 4; // blocks of up to 4 x 16 KiB
        let mut b = ReplBuffer::new(1);
        b.append(&[3u8; 1_000_000], backlog);
        assert!(b.blocks.iter().all(|x| x.data.capacity() <= backlog / 16));
        assert_eq!(collect(&b, 1), vec![3u8; 1_000_000]);
        // A reader near the end only pins the blocks it still needs.
        b.trim(backlog, Some(b.end() - 10));
        assert!(b.histlen() <= (backlog + backlog / 16) as i64);
        // A small backlog still gets 16 KiB blocks.
        let mut s = ReplBuffer::new(1);
        s.append(&[1u8; 40_000], 1024);
        assert_eq!(s.blocks.len(), 3);
    }
}
