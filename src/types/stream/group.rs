//! Consumer groups (Redis' streamCG, streamConsumer, streamNACK).
//!
//! A group has a pending entries list (PEL) mapping each delivered, not
//! yet acknowledged ID to its NACK (delivery time and count, owner), and
//! its consumers by name, each with the set of IDs it owns. Redis shares
//! one NACK between the two PELs through pointers; here the group's PEL
//! owns the NACK and names its owner by a small slot number into the
//! group's consumer table, and each consumer keeps the IDs it owns.
//!
//! Invariant: an ID is in a consumer's `pel` iff the group's PEL has it
//! with that consumer as owner.

use std::collections::{BTreeMap, BTreeSet};

use super::StreamId;

/// Logical read counter meaning "unknown" (SCG_INVALID_ENTRIES_READ).
pub const ENTRIES_READ_INVALID: i64 = -1;

#[derive(Clone, Debug)]
pub struct Nack {
    /// Unix ms of the last delivery.
    pub delivery_time: i64,
    pub delivery_count: u64,
    /// Slot of the owning consumer in the group.
    pub owner: u32,
}

#[derive(Clone, Debug)]
pub struct Consumer {
    pub name: Box<[u8]>,
    /// Unix ms of the last time it read or claimed.
    pub seen_time: i64,
    pub pel: BTreeSet<StreamId>,
}

#[derive(Clone, Debug, Default)]
pub struct Group {
    pub last_id: StreamId,
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Nack>,
    /// Name -> slot in `slots`.
    by_name: BTreeMap<Box<[u8]>, u32>,
    slots: Vec<Option<Consumer>>,
    free: Vec<u32>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            ..Group::default()
        }
    }

    pub fn consumer_count(&self) -> usize {
        self.by_name.len()
    }

    /// The slot of consumer `name`.
    pub fn find(&self, name: &[u8]) -> Option<u32> {
        self.by_name.get(name).copied()
    }

    pub fn consumer(&self, slot: u32) -> Option<&Consumer> {
        self.slots.get(slot as usize)?.as_ref()
    }

    pub fn consumer_mut(&mut self, slot: u32) -> Option<&mut Consumer> {
        self.slots.get_mut(slot as usize)?.as_mut()
    }

    /// Consumers in name order.
    pub fn consumers(&self) -> impl Iterator<Item = &Consumer> {
        self.by_name.values().filter_map(|&s| self.consumer(s))
    }

    /// The owner's name of a NACK.
    pub fn owner_name(&self, n: &Nack) -> &[u8] {
        self.consumer(n.owner).map_or(&[][..], |c| &c.name[..])
    }

    /// Creates consumer `name` (seen now); None when it exists.
    pub fn create_consumer(&mut self, name: &[u8], now_ms: i64) -> Option<u32> {
        if self.by_name.contains_key(name) {
            return None;
        }
        let c = Consumer {
            name: name.into(),
            seen_time: now_ms,
            pel: BTreeSet::new(),
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(c);
                s
            }
            None => {
                self.slots.push(Some(c));
                (self.slots.len() - 1) as u32
            }
        };
        self.by_name.insert(name.into(), slot);
        Some(slot)
    }

    /// Deletes consumer `name` and its pending entries; returns how many
    /// it had, or None when there is no such consumer.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let slot = self.by_name.remove(name)?;
        let c = self.slots.get_mut(slot as usize)?.take()?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        self.free.push(slot);
        Some(c.pel.len())
    }

    /// Removes `id` from the PEL and its owner's; true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(n) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumer_mut(n.owner) {
            c.pel.remove(&id);
        }
        true
    }

    /// Makes `slot` the owner of `id`, creating the NACK if needed (with
    /// `delivery_count` 1 and `time`); returns the NACK. A NACK that
    /// existed keeps its time and count (callers set them).
    pub fn assign(&mut self, id: StreamId, slot: u32, time: i64) -> Option<&mut Nack> {
        let old_owner = self.pel.get(&id).map(|n| n.owner);
        match old_owner {
            Some(o) if o != slot => {
                if let Some(c) = self.consumer_mut(o) {
                    c.pel.remove(&id);
                }
            }
            Some(_) => {}
            None => {
                self.pel.insert(
                    id,
                    Nack {
                        delivery_time: time,
                        delivery_count: 1,
                        owner: slot,
                    },
                );
            }
        }
        self.consumer_mut(slot)?.pel.insert(id);
        let n = self.pel.get_mut(&id)?;
        n.owner = slot;
        Some(n)
    }

    /// Rough bytes used (MEMORY USAGE): PEL entries and consumers.
    pub fn mem_usage(&self) -> usize {
        let mut size = 96 + self.pel.len() * 48;
        for c in self.consumers() {
            size += 64 + c.name.len() + c.pel.len() * 24;
        }
        size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumers_and_pel_stay_consistent() {
        let mut g = Group::new(StreamId::MIN, 0);
        let a = g.create_consumer(b"alice", 1).unwrap();
        let b = g.create_consumer(b"bob", 2).unwrap();
        assert!(g.create_consumer(b"alice", 3).is_none());
        let id1 = StreamId::new(1, 0);
        let id2 = StreamId::new(2, 0);
        g.assign(id1, a, 10);
        g.assign(id2, a, 10);
        // Re-assigning moves the ID between the consumers' PELs.
        g.assign(id2, b, 20).unwrap().delivery_count += 1;
        assert_eq!(g.consumer(a).unwrap().pel.len(), 1);
        assert_eq!(g.consumer(b).unwrap().pel.len(), 1);
        assert_eq!(g.pel[&id2].delivery_count, 2);
        assert_eq!(g.owner_name(&g.pel[&id2]), b"bob");
        assert!(g.ack(id1));
        assert!(!g.ack(id1));
        assert_eq!(g.delete_consumer(b"bob"), Some(1));
        assert!(g.pel.is_empty());
        assert_eq!(g.delete_consumer(b"bob"), None);
        // A freed slot is reused.
        let c = g.create_consumer(b"carol", 5).unwrap();
        assert_eq!(c, b);
        let names: Vec<&[u8]> = g.consumers().map(|c| &c.name[..]).collect();
        assert_eq!(names, vec![&b"alice"[..], &b"carol"[..]]);
    }
}
