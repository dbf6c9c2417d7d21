//! The dynamic table (RFC 7541 §2.3.2, §4): the fields a peer asked to index, newest first,
//! within a size budget that counts each entry as its name, its value and 32 bytes.

use std::collections::VecDeque;

use bytes::Bytes;

use super::tables::STATIC;

/// What an entry costs in the table's budget.
pub fn entry_size(name: &[u8], value: &[u8]) -> usize {
    name.len() + value.len() + 32
}

/// A dynamic table.
#[derive(Debug)]
pub struct DynamicTable {
    entries: VecDeque<(Bytes, Bytes)>,
    size: usize,
    max_size: usize,
    /// Entries ever inserted: the encoder names entries by this count.
    inserted: u64,
}

impl DynamicTable {
    /// An empty table with a budget of `max_size` bytes.
    pub fn new(max_size: usize) -> DynamicTable {
        DynamicTable {
            entries: VecDeque::new(),
            size: 0,
            max_size,
            inserted: 0,
        }
    }

    /// The budget.
    pub fn max_size(&self) -> usize {
        self.max_size
    }

    /// The bytes in use.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Entries in the table.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries ever inserted (the insertion number of the newest is this minus one).
    pub fn inserted(&self) -> u64 {
        self.inserted
    }

    /// Changes the budget, evicting the oldest entries until they fit.
    pub fn set_max_size(&mut self, max_size: usize) {
        self.max_size = max_size;
        self.evict_to(max_size);
    }

    /// Adds an entry as the newest. One larger than the whole budget empties the table and is
    /// not kept (§4.4).
    pub fn insert(&mut self, name: Bytes, value: Bytes) {
        let size = entry_size(&name, &value);
        self.inserted += 1;
        if size > self.max_size {
            self.evict_to(0);
            return;
        }
        self.evict_to(self.max_size - size);
        self.size += size;
        self.entries.push_front((name, value));
    }

    fn evict_to(&mut self, budget: usize) {
        while self.size > budget {
            let Some((n, v)) = self.entries.pop_back() else {
                break;
            };
            self.size -= entry_size(&n, &v);
        }
    }

    /// The entry at HPACK index `index` (1-61 static, 62 up dynamic, newest first).
    pub fn get(&self, index: usize) -> Option<(Bytes, Bytes)> {
        match index {
            0 => None,
            1..=61 => {
                let (n, v) = STATIC[index - 1];
                Some((
                    Bytes::from_static(n.as_bytes()),
                    Bytes::from_static(v.as_bytes()),
                ))
            }
            _ => self.entries.get(index - 62).cloned(),
        }
    }

    /// The HPACK index of the entry inserted as number `n`, while it is still in the table.
    pub fn index_of_insertion(&self, n: u64) -> Option<usize> {
        let age = self.inserted.checked_sub(n + 1)? as usize;
        (age < self.entries.len()).then_some(62 + age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_evicted_oldest_first_within_the_budget() {
        let mut t = DynamicTable::new(100);
        t.insert(Bytes::from_static(b"a"), Bytes::from_static(b"1")); // 34
        t.insert(Bytes::from_static(b"b"), Bytes::from_static(b"2")); // 68
        t.insert(Bytes::from_static(b"c"), Bytes::from_static(b"3")); // 102 > 100: 'a' goes
        assert_eq!(t.len(), 2);
        assert_eq!(t.get(62).unwrap().0, "c");
        assert_eq!(t.get(63).unwrap().0, "b");
        assert!(t.get(64).is_none());
        assert_eq!(t.index_of_insertion(2), Some(62));
        assert_eq!(t.index_of_insertion(0), None);
        t.set_max_size(40);
        assert_eq!(t.len(), 1);
        t.insert(Bytes::from(vec![b'x'; 50]), Bytes::new());
        assert!(t.is_empty());
        assert_eq!(
            t.get(2).unwrap(),
            (Bytes::from_static(b":method"), Bytes::from_static(b"GET"))
        );
    }
}
