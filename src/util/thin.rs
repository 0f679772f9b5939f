//! Thin owned byte buffers and a two-way tagged pointer, for the values that
//! millions of keyspace entries hold.
//!
//! A `Vec<u8>` costs 24 bytes where it is stored and a `Box<[u8]>` 16; a
//! [`ThinBuf`] costs 8, with its length and capacity (two u32s) in front of
//! the bytes in the same allocation. That is what lets a keyspace entry
//! (next pointer, key, value, LRU) fit jemalloc's 48-byte class instead of
//! 64, and a small hash or sorted set skip the extra box Redis would call
//! a robj.
//!
//! A [`ThinBuf`] grows to the end of jemalloc's size class for its length,
//! the bytes jemalloc would hand out for an exact request anyway, so memory
//! is what Redis' realloc-per-insert listpacks use, without a realloc call
//! per insert; callers that append a lot reserve ahead.
//!
//! [`Packed`] holds either a small encoding (a pointer-sized owner of an
//! 8-aligned allocation) or a boxed big one in one pointer, told apart by
//! the pointer's low bit.
//!
//! This is one of the few modules with `unsafe`; every block says why it
//! holds.

use std::alloc::{self, Layout};
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut, Range};
use std::ptr::NonNull;

/// Bytes in front of the data: length and capacity, u32 each.
const HEADER: usize = 8;
/// Alignment of every buffer, so a pointer to one has 3 free low bits.
const ALIGN: usize = 8;
/// jemalloc's smallest "large" size class: below it allocations come from
/// slabs of one size class and realloc to another class always moves.
const SMALL_CLASS_LIMIT: usize = 16 * 1024;
/// The most bytes a ThinBuf holds.
pub const MAX_LEN: usize = u32::MAX as usize;

/// An owned byte buffer in one pointer: `[len: u32][cap: u32][bytes]`.
/// `repr(transparent)`: its layout is exactly one pointer's (see ThinRepr).
#[repr(transparent)]
pub struct ThinBuf {
    ptr: NonNull<u8>,
}

// SAFETY: a ThinBuf owns its allocation exclusively, like a Box<[u8]>.
unsafe impl Send for ThinBuf {}
// SAFETY: shared access only reads.
unsafe impl Sync for ThinBuf {}

/// The bytes jemalloc really hands out for a request of `n`: its size
/// classes are 8, then multiples of 16 up to 128, then four per doubling.
pub fn size_class(n: usize) -> usize {
    if n <= 8 {
        return 8;
    }
    if n <= 128 {
        return n.div_ceil(16) * 16;
    }
    let k = usize::BITS - 1 - (n - 1).leading_zeros();
    let spacing = 1usize << (k - 2);
    n.div_ceil(spacing) * spacing
}

/// The capacity to allocate for at least `cap` bytes: the rest of the
/// jemalloc size class is ours anyway, so taking it saves a realloc call
/// on each of the following small inserts (a listpack grows by one entry
/// per push) at no cost in memory.
fn class_capacity(cap: usize) -> usize {
    let want = HEADER.saturating_add(cap);
    if want > MAX_LEN {
        return cap;
    }
    (size_class(want) - HEADER).min(MAX_LEN)
}

/// The layout for a capacity of `cap` bytes; a capacity beyond [`MAX_LEN`]
/// ends the process the way a failed allocation does (callers keep below:
/// keys longer than that are not thin, listpacks stop at 1 GB).
fn layout(cap: usize) -> Layout {
    match (cap <= MAX_LEN).then(|| Layout::from_size_align(HEADER + cap, ALIGN)) {
        Some(Ok(l)) => l,
        _ => alloc::handle_alloc_error(Layout::new::<u64>()),
    }
}

impl ThinBuf {
    /// A buffer holding a copy of `data`.
    pub fn new(data: &[u8]) -> ThinBuf {
        let mut b = ThinBuf::with_capacity(data.len());
        b.extend_from_slice(data);
        b
    }

    /// An empty buffer with room for `cap` bytes.
    pub fn with_capacity(cap: usize) -> ThinBuf {
        let cap = class_capacity(cap);
        let lay = layout(cap);
        // SAFETY: the layout has a non-zero size (HEADER > 0).
        let raw = unsafe { alloc::alloc(lay) };
        let Some(ptr) = NonNull::new(raw) else {
            alloc::handle_alloc_error(lay)
        };
        let mut b = ThinBuf { ptr };
        b.set_header(0, cap);
        b
    }

    fn set_header(&mut self, len: usize, cap: usize) {
        // SAFETY: the allocation starts with HEADER bytes, 8-aligned; both
        // values are at most MAX_LEN (checked by `layout` / the callers).
        unsafe {
            let h = self.ptr.as_ptr().cast::<u32>();
            h.write(len as u32);
            h.add(1).write(cap as u32);
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        // SAFETY: every ThinBuf starts with its initialised header.
        unsafe { self.ptr.as_ptr().cast::<u32>().read() as usize }
    }

    #[inline]
    pub fn capacity(&self) -> usize {
        // SAFETY: as in len.
        unsafe { self.ptr.as_ptr().cast::<u32>().add(1).read() as usize }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: the first len bytes after the header are initialised.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(HEADER), self.len()) }
    }

    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in as_slice, and &mut self makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr().add(HEADER), self.len()) }
    }

    /// Bytes the allocation takes (before jemalloc's rounding).
    pub fn alloc_bytes(&self) -> usize {
        HEADER + self.capacity()
    }

    /// Reallocate to room for `cap` bytes (at least the length), rounded up
    /// to the size class.
    fn set_capacity(&mut self, cap: usize) {
        let old_cap = self.capacity();
        let cap = class_capacity(cap.max(self.len()));
        if cap == old_cap {
            return;
        }
        let new = layout(cap);
        // SAFETY: ptr was allocated with layout(old_cap); `layout` checked
        // that the new size is a valid (non-zero) layout size.
        let raw = unsafe { alloc::realloc(self.ptr.as_ptr(), layout(old_cap), new.size()) };
        let Some(ptr) = NonNull::new(raw) else {
            alloc::handle_alloc_error(new)
        };
        self.ptr = ptr;
        let len = self.len();
        self.set_header(len, cap);
    }

    /// Make room for `additional` more bytes (up to the end of the size
    /// class, which jemalloc would hand out anyway).
    pub fn reserve_exact(&mut self, additional: usize) {
        let need = self.len().saturating_add(additional);
        if need > self.capacity() {
            self.set_capacity(need);
        }
    }

    /// Give back the room beyond the length's size class.
    pub fn shrink_to_fit(&mut self) {
        self.set_capacity(self.len());
    }

    /// Change the length to `new_len`, keeping the first bytes; new bytes
    /// are zero.
    pub fn resize(&mut self, new_len: usize) {
        let old_len = self.len();
        if new_len > old_len {
            self.reserve_exact(new_len - old_len);
            // SAFETY: capacity >= new_len, so these bytes are allocated.
            unsafe {
                self.ptr
                    .as_ptr()
                    .add(HEADER + old_len)
                    .write_bytes(0, new_len - old_len)
            };
        }
        let cap = self.capacity();
        self.set_header(new_len, cap);
    }

    /// Insert `data` at `at` (clamped to the end).
    pub fn insert(&mut self, at: usize, data: &[u8]) {
        self.insert_parts(at, &[data]);
    }

    /// Insert the concatenation of `parts` at `at` (clamped to the end),
    /// moving the tail once.
    pub fn insert_parts(&mut self, at: usize, parts: &[&[u8]]) {
        let old = self.len();
        let at = at.min(old);
        let n: usize = parts.iter().map(|p| p.len()).sum();
        if n == 0 {
            return;
        }
        let need = old.saturating_add(n);
        // Below jemalloc's large classes (16 KB) a buffer never grows in
        // place; above, realloc may, and then only the tail moves, so the
        // single copy pays only when the tail is most of the buffer.
        if need > self.capacity() && at < old && (need < SMALL_CLASS_LIMIT || at <= old / 2) {
            self.grow_around(at, need, parts);
            return;
        }
        self.reserve_exact(n);
        let cap = self.capacity();
        // SAFETY: capacity >= old + n (reserve_exact), so moving the tail
        // [at, old) up by n and writing n bytes at `at` stays inside the
        // allocation; `parts` cannot alias it (we hold &mut self).
        unsafe {
            let base = self.ptr.as_ptr().add(HEADER);
            std::ptr::copy(base.add(at), base.add(at + n), old - at);
            let mut dst = base.add(at);
            for p in parts {
                std::ptr::copy_nonoverlapping(p.as_ptr(), dst, p.len());
                dst = dst.add(p.len());
            }
        }
        self.set_header(old + n, cap);
    }

    /// `insert_parts` when the buffer must move and the insert is not at
    /// the end: a small size class never grows in place, so realloc would
    /// copy everything and the tail would then move again; copying each
    /// side straight to its new place moves every byte once (a listpack
    /// at the head of a list takes an LPUSH this way).
    fn grow_around(&mut self, at: usize, need: usize, parts: &[&[u8]]) {
        let old = self.len();
        let mut grown = ThinBuf::with_capacity(need);
        let cap = grown.capacity();
        // SAFETY: `grown` has room for `need` = old + the parts' bytes;
        // the prefix [0, at), the parts and the suffix [at, old) are
        // written to disjoint ranges of it, and `parts` cannot alias
        // either buffer (we hold &mut self, `grown` is new).
        unsafe {
            let src = self.ptr.as_ptr().add(HEADER);
            let mut dst = grown.ptr.as_ptr().add(HEADER);
            std::ptr::copy_nonoverlapping(src, dst, at);
            dst = dst.add(at);
            for p in parts {
                std::ptr::copy_nonoverlapping(p.as_ptr(), dst, p.len());
                dst = dst.add(p.len());
            }
            std::ptr::copy_nonoverlapping(src.add(at), dst, old - at);
        }
        grown.set_header(need, cap);
        *self = grown;
    }

    /// Remove the bytes in `range` (clamped to the buffer).
    pub fn remove(&mut self, range: Range<usize>) {
        let len = self.len();
        let end = range.end.min(len);
        let start = range.start.min(end);
        self.as_mut_slice().copy_within(end..len, start);
        self.resize(len - (end - start));
    }

    /// Replace the bytes in `range` (clamped) with `data`.
    pub fn replace(&mut self, range: Range<usize>, data: &[u8]) {
        let end = range.end.min(self.len());
        let start = range.start.min(end);
        let old = end - start;
        if data.len() >= old {
            self.as_mut_slice()[start..end].copy_from_slice(&data[..old]);
            self.insert(end, &data[old..]);
        } else {
            self.as_mut_slice()[start..start + data.len()].copy_from_slice(data);
            self.remove(start + data.len()..end);
        }
    }

    /// Append `data` at the end.
    pub fn extend_from_slice(&mut self, data: &[u8]) {
        self.insert(usize::MAX, data);
    }

    /// Keep the first `len` bytes.
    pub fn truncate(&mut self, len: usize) {
        if len < self.len() {
            self.resize(len);
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.as_slice().to_vec()
    }
}

impl Drop for ThinBuf {
    fn drop(&mut self) {
        // SAFETY: allocated with this layout, and owned by us alone.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), layout(self.capacity())) }
    }
}

impl Clone for ThinBuf {
    fn clone(&self) -> ThinBuf {
        ThinBuf::new(self.as_slice())
    }
}

impl Deref for ThinBuf {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl DerefMut for ThinBuf {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

impl From<&[u8]> for ThinBuf {
    fn from(b: &[u8]) -> ThinBuf {
        ThinBuf::new(b)
    }
}

impl From<Vec<u8>> for ThinBuf {
    fn from(v: Vec<u8>) -> ThinBuf {
        ThinBuf::new(&v)
    }
}

impl PartialEq for ThinBuf {
    fn eq(&self, o: &ThinBuf) -> bool {
        self.as_slice() == o.as_slice()
    }
}
impl Eq for ThinBuf {}

impl fmt::Debug for ThinBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

/// How long a [`SelfSized`] buffer is, read from its first bytes.
pub trait Measure {
    /// Bytes every buffer has at least (its header).
    const MIN: usize;
    /// The total length its first `MIN` bytes describe (None: malformed).
    fn measure(head: &[u8]) -> Option<usize>;
}

/// A byte buffer in one pointer with no header of ours: the bytes' own
/// header says how long they are (an intset's encoding and count), so an
/// intset of ten 32-bit members is one 48-byte allocation, as in Redis.
/// Every change goes through [`SelfSized::edit`], which refuses a result
/// whose header disagrees with its length.
#[repr(transparent)]
pub struct SelfSized<M: Measure> {
    ptr: NonNull<u8>,
    _m: PhantomData<M>,
}

// SAFETY: owns its allocation exclusively, like a Box<[u8]>.
unsafe impl<M: Measure> Send for SelfSized<M> {}
// SAFETY: shared access only reads.
unsafe impl<M: Measure> Sync for SelfSized<M> {}

fn raw_layout(len: usize) -> Layout {
    match Layout::from_size_align(len.max(1), ALIGN) {
        Ok(l) => l,
        Err(_) => alloc::handle_alloc_error(Layout::new::<u64>()),
    }
}

impl<M: Measure> SelfSized<M> {
    /// A copy of `bytes`, if they are at least `M::MIN` long and their
    /// header measures exactly their length.
    pub fn new(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < M::MIN || M::measure(&bytes[..M::MIN]) != Some(bytes.len()) {
            return None;
        }
        Some(Self::copy_of(bytes))
    }

    /// A copy of bytes already known to measure their length.
    fn copy_of(bytes: &[u8]) -> Self {
        let lay = raw_layout(bytes.len());
        // SAFETY: non-zero size (MIN > 0 or max(1)).
        let raw = unsafe { alloc::alloc(lay) };
        let Some(ptr) = NonNull::new(raw) else {
            alloc::handle_alloc_error(lay)
        };
        // SAFETY: the allocation holds bytes.len() bytes; no overlap.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.as_ptr(), bytes.len()) };
        SelfSized {
            ptr,
            _m: PhantomData,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        // SAFETY: the first MIN bytes are initialised, and `new`/`edit` only
        // ever keep contents whose header measures their length.
        let head = unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), M::MIN) };
        M::measure(head).unwrap_or(M::MIN)
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: len() bytes are allocated and initialised.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len()) }
    }

    /// Replace the contents with `new_len` bytes that `fill` writes from
    /// the old ones (`fill(old, new)`, `new` zeroed). Returns false, keeping
    /// the old contents, if the result's header does not measure `new_len`.
    pub fn edit(&mut self, new_len: usize, fill: impl FnOnce(&[u8], &mut [u8])) -> bool {
        if new_len < M::MIN {
            return false;
        }
        let lay = raw_layout(new_len);
        // SAFETY: non-zero size (new_len >= MIN, and raw_layout takes max(1)).
        let raw = unsafe { alloc::alloc_zeroed(lay) };
        let Some(ptr) = NonNull::new(raw) else {
            alloc::handle_alloc_error(lay)
        };
        // SAFETY: new_len zeroed bytes, ours alone until handed over below.
        let new = unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr(), new_len) };
        fill(self.as_slice(), new);
        if M::measure(&new[..M::MIN]) != Some(new_len) {
            // SAFETY: allocated just above with this layout.
            unsafe { alloc::dealloc(ptr.as_ptr(), lay) };
            return false;
        }
        // The old allocation is freed by the assignment's drop.
        *self = SelfSized {
            ptr,
            _m: PhantomData,
        };
        true
    }
}

impl<M: Measure> Drop for SelfSized<M> {
    fn drop(&mut self) {
        // SAFETY: allocated with raw_layout of this same length (contents
        // always measure the length they were allocated with).
        unsafe { alloc::dealloc(self.ptr.as_ptr(), raw_layout(self.len())) }
    }
}

impl<M: Measure> Clone for SelfSized<M> {
    fn clone(&self) -> Self {
        // Our contents measure their own length (see `len`).
        SelfSized::copy_of(self.as_slice())
    }
}

impl<M: Measure> PartialEq for SelfSized<M> {
    fn eq(&self, o: &Self) -> bool {
        self.as_slice() == o.as_slice()
    }
}
impl<M: Measure> Eq for SelfSized<M> {}

impl<M: Measure> fmt::Debug for SelfSized<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

// SAFETY: one pointer to an 8-aligned allocation it owns; drop frees it.
unsafe impl<M: Measure> ThinRepr for SelfSized<M> {}

/// A small encoding a [`Packed`] can hold and lend out in place.
///
/// # Safety
/// The implementor must be exactly one non-null pointer to an allocation
/// aligned to at least 2 that it owns (`#[repr(transparent)]` over a
/// [`ThinBuf`] qualifies), so its bits can sit in a `Packed` with the low
/// bit clear, and dropping it in place must free what it owns.
pub unsafe trait ThinRepr: Sized {}

// SAFETY: ThinBuf is itself.
unsafe impl ThinRepr for ThinBuf {}

/// Either a small `S` (a ThinBuf underneath) or a boxed big `B`, in 8 bytes.
/// `repr(transparent)`, so `&Packed` can be read as `&S` (one pointer).
#[repr(transparent)]
pub struct Packed<S: ThinRepr, B> {
    /// A ThinBuf pointer (low bit 0) or a `Box<B>` pointer with bit 0 set.
    raw: NonNull<u8>,
    _owns: PhantomData<(S, Box<B>)>,
}

/// What a [`Packed`] holds, seen through references ([`Packed::get`],
/// [`Packed::get_mut`]) or taken out ([`Packed::unpack`]).
pub enum View<S, B> {
    Small(S),
    Big(B),
}

// SAFETY: Packed owns an S or a Box<B> and nothing else.
unsafe impl<S: ThinRepr + Send, B: Send> Send for Packed<S, B> {}
// SAFETY: as above; shared access gives out only shared references.
unsafe impl<S: ThinRepr + Sync, B: Sync> Sync for Packed<S, B> {}

const TAG: usize = 1;

impl<S: ThinRepr, B> Packed<S, B> {
    pub fn small(s: S) -> Self {
        const { assert!(std::mem::size_of::<S>() == std::mem::size_of::<NonNull<u8>>()) };
        // SAFETY: by ThinRepr, S's bits are one non-null, at least 2-aligned
        // pointer; ManuallyDrop moves ownership into `raw`.
        let raw: NonNull<u8> = unsafe { std::mem::transmute_copy(&std::mem::ManuallyDrop::new(s)) };
        Packed {
            raw,
            _owns: PhantomData,
        }
    }

    pub fn big(b: Box<B>) -> Self {
        const { assert!(std::mem::align_of::<B>() >= 2) };
        let p = Box::into_raw(b) as *mut u8;
        // Tagging keeps provenance (map_addr); the address is even, so it
        // is non-zero after the OR as well.
        let tagged = p.map_addr(|a| a | TAG);
        Packed {
            // SAFETY: a Box pointer is non-null, and setting a bit keeps it so.
            raw: unsafe { NonNull::new_unchecked(tagged) },
            _owns: PhantomData,
        }
    }

    #[inline]
    fn is_big(&self) -> bool {
        self.raw.as_ptr().addr() & TAG != 0
    }

    #[inline]
    fn big_ptr(&self) -> *mut B {
        self.raw.as_ptr().map_addr(|a| a & !TAG).cast::<B>()
    }

    #[inline]
    pub fn get(&self) -> View<&S, &B> {
        if self.is_big() {
            // SAFETY: a tagged pointer is a live Box<B> we own.
            View::Big(unsafe { &*self.big_ptr() })
        } else {
            // SAFETY: untagged, `raw` is exactly the bits of an S we own, and
            // Packed is one pointer wide like S, so &self can be read as &S.
            View::Small(unsafe { &*(self as *const Self).cast::<S>() })
        }
    }

    #[inline]
    pub fn get_mut(&mut self) -> View<&mut S, &mut B> {
        if self.is_big() {
            // SAFETY: as in get; &mut self makes the access exclusive.
            View::Big(unsafe { &mut *self.big_ptr() })
        } else {
            // SAFETY: as in get. Whatever S the caller stores through this
            // reference is again an untagged 8-aligned pointer, so `raw`
            // stays a valid small encoding.
            View::Small(unsafe { &mut *(self as *mut Self).cast::<S>() })
        }
    }

    pub fn unpack(self) -> View<S, Box<B>> {
        let this = std::mem::ManuallyDrop::new(self);
        if this.is_big() {
            // SAFETY: the tagged pointer came from Box::into_raw; `this` is
            // not dropped, so ownership passes to the new Box.
            View::Big(unsafe { Box::from_raw(this.big_ptr()) })
        } else {
            // SAFETY: the untagged bits are those of the S given to `small`
            // (or stored through get_mut); `this` is not dropped, so
            // ownership passes back to the S.
            View::Small(unsafe { std::mem::transmute_copy::<NonNull<u8>, S>(&this.raw) })
        }
    }
}

impl<S: ThinRepr, B> Drop for Packed<S, B> {
    fn drop(&mut self) {
        if self.is_big() {
            // SAFETY: we own the Box behind the tagged pointer.
            drop(unsafe { Box::from_raw(self.big_ptr()) });
        } else {
            // SAFETY: we own the S whose bits `raw` is.
            unsafe { std::ptr::drop_in_place((self as *mut Self).cast::<S>()) };
        }
    }
}

impl<S: ThinRepr + Clone, B: Clone> Clone for Packed<S, B> {
    fn clone(&self) -> Self {
        match self.get() {
            View::Small(s) => Packed::small(s.clone()),
            View::Big(b) => Packed::big(Box::new(b.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_edits_match_vec() {
        let mut b = ThinBuf::new(b"hello");
        let mut v = b"hello".to_vec();
        assert_eq!(std::mem::size_of::<ThinBuf>(), 8);
        b.insert(0, b">>");
        v.splice(0..0, b">>".iter().copied());
        b.insert(99, b"!");
        v.push(b'!');
        b.replace(2..4, b"HEE");
        v.splice(2..4, b"HEE".iter().copied());
        b.replace(1..6, b"x");
        v.splice(1..6, b"x".iter().copied());
        b.remove(0..1);
        v.remove(0);
        assert_eq!(b.as_slice(), &v[..]);
        b.truncate(2);
        assert_eq!(b.as_slice(), &v[..2]);
        let c = b.clone();
        assert_eq!(c, b);
        b.resize(0);
        assert!(b.is_empty());
        b.resize(3);
        assert_eq!(b.as_slice(), &[0, 0, 0]);
        b.reserve_exact(100);
        // 8 + 103 bytes asked: jemalloc's 112 class, all of it used.
        assert_eq!((b.len(), b.capacity()), (3, 104));
        b.extend_from_slice(b"xyz");
        assert_eq!(b.as_slice(), b"\0\0\0xyz");
        b.shrink_to_fit();
        assert_eq!(b.capacity(), 8);
        assert_eq!(b.clone().capacity(), 8);
        assert_eq!(b.alloc_bytes(), 16);
    }

    #[test]
    fn inserts_that_move_the_buffer_keep_both_sides() {
        // Inserts at the front, the middle, three quarters in and the end,
        // each big enough to leave the size class, against a Vec doing the
        // same, up to about 70 KB.
        let mut b = ThinBuf::new(b"");
        let mut v = Vec::new();
        let mut seed = 7u32;
        for round in 0..200u32 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let chunk: Vec<u8> = (0..(seed % 700) as usize)
                .map(|i| (i as u32 ^ round) as u8)
                .collect();
            // Past 16 KB an insert in the last half takes realloc's path.
            let at = match round % 4 {
                0 => 0,
                1 => v.len() / 2,
                2 => v.len() - v.len() / 4,
                _ => v.len(),
            };
            b.insert_parts(at, &[&chunk[..chunk.len() / 2], &chunk[chunk.len() / 2..]]);
            v.splice(at..at, chunk.iter().copied());
            assert_eq!(b.as_slice(), &v[..], "round {round}");
            assert!(b.capacity() >= b.len());
        }
    }

    /// First byte = total length (a toy self-describing format).
    struct ByteLen;
    impl Measure for ByteLen {
        const MIN: usize = 1;
        fn measure(head: &[u8]) -> Option<usize> {
            head.first().map(|&b| b as usize)
        }
    }

    #[test]
    fn self_sized_keeps_its_header_honest() {
        assert!(SelfSized::<ByteLen>::new(&[3, 9]).is_none());
        assert!(SelfSized::<ByteLen>::new(&[]).is_none());
        let mut b = SelfSized::<ByteLen>::new(&[3, 1, 2]).unwrap();
        assert_eq!(b.len(), 3);
        assert!(b.edit(4, |old, new| {
            new[..3].copy_from_slice(old);
            new[0] = 4;
            new[3] = 7;
        }));
        assert_eq!(b.as_slice(), &[4, 1, 2, 7]);
        // A result whose header disagrees is refused; the old bytes stay.
        assert!(!b.edit(2, |_, new| new[0] = 9));
        assert_eq!(b.as_slice(), &[4, 1, 2, 7]);
        assert_eq!(b.clone(), b);
    }

    #[repr(transparent)]
    #[derive(Clone)]
    struct Small(ThinBuf);
    // SAFETY: repr(transparent) over a ThinBuf.
    unsafe impl ThinRepr for Small {}

    #[test]
    fn packed_holds_either_kind() {
        type P = Packed<Small, Vec<u32>>;
        assert_eq!(std::mem::size_of::<P>(), 8);
        let mut p: P = Packed::small(Small(ThinBuf::new(b"abc")));
        match p.get_mut() {
            View::Small(s) => s.0.extend_from_slice(b"d"),
            View::Big(_) => panic!("small expected"),
        }
        let q = p.clone();
        match q.get() {
            View::Small(s) => assert_eq!(s.0.as_slice(), b"abcd"),
            View::Big(_) => panic!("small expected"),
        }
        p = Packed::big(Box::new(vec![1, 2, 3]));
        match p.get_mut() {
            View::Big(v) => v.push(4),
            View::Small(_) => panic!("big expected"),
        }
        match p.clone().unpack() {
            View::Big(v) => assert_eq!(*v, vec![1, 2, 3, 4]),
            View::Small(_) => panic!("big expected"),
        }
        match q.unpack() {
            View::Small(s) => assert_eq!(s.0.as_slice(), b"abcd"),
            View::Big(_) => panic!("small expected"),
        }
    }
}
