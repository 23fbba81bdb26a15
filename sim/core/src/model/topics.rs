//! Topic broker: which connection (by id) is subscribed to which topic.
//! Pure bookkeeping with deterministic iteration order (ascending connection id).
//!
//! Subscribing twice is a no-op (rule 14: subscribe is idempotent), unsubscribing from a
//! topic one is not subscribed to is fine, and dropping a connection forgets all its topics.
//! Whether a publisher receives its own publication is the caller's choice.

use std::collections::{BTreeMap, BTreeSet};

/// Subscription table keyed by connection id and topic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Topics {
    by_topic: BTreeMap<String, BTreeSet<u64>>,
    by_conn: BTreeMap<u64, BTreeSet<String>>,
}

impl Topics {
    /// An empty broker.
    pub fn new() -> Topics {
        Topics::default()
    }

    /// Every topic with at least one subscriber and how many it has, in topic order.
    pub fn subscriber_counts(&self) -> impl Iterator<Item = (&str, usize)> + '_ {
        self.by_topic
            .iter()
            .filter(|(_, conns)| !conns.is_empty())
            .map(|(topic, conns)| (topic.as_str(), conns.len()))
    }

    /// Subscribes `conn` to `topic`. Returns `true` if it was not already subscribed.
    pub fn subscribe(&mut self, conn: u64, topic: &str) -> bool {
        let added = self.by_topic.entry(topic.to_owned()).or_default().insert(conn);
        if added {
            self.by_conn.entry(conn).or_default().insert(topic.to_owned());
        }
        added
    }

    /// Unsubscribes `conn` from `topic`. Returns `true` if it was subscribed.
    pub fn unsubscribe(&mut self, conn: u64, topic: &str) -> bool {
        let Some(subs) = self.by_topic.get_mut(topic) else {
            return false;
        };
        let removed = subs.remove(&conn);
        if subs.is_empty() {
            self.by_topic.remove(topic);
        }
        if removed {
            if let Some(topics) = self.by_conn.get_mut(&conn) {
                topics.remove(topic);
                if topics.is_empty() {
                    self.by_conn.remove(&conn);
                }
            }
        }
        removed
    }

    /// Forgets every subscription of `conn`. Returns how many topics it was subscribed to.
    pub fn remove_connection(&mut self, conn: u64) -> usize {
        let Some(topics) = self.by_conn.remove(&conn) else {
            return 0;
        };
        for topic in &topics {
            if let Some(subs) = self.by_topic.get_mut(topic) {
                subs.remove(&conn);
                if subs.is_empty() {
                    self.by_topic.remove(topic);
                }
            }
        }
        topics.len()
    }

    /// The connections subscribed to `topic`, in ascending id order.
    pub fn subscribers(&self, topic: &str) -> impl Iterator<Item = u64> + '_ {
        self.by_topic.get(topic).into_iter().flatten().copied()
    }

    /// Number of connections subscribed to `topic`.
    pub fn subscriber_count(&self, topic: &str) -> usize {
        self.by_topic.get(topic).map_or(0, BTreeSet::len)
    }

    /// Whether `conn` is subscribed to `topic`.
    pub fn is_subscribed(&self, conn: u64, topic: &str) -> bool {
        self.by_topic.get(topic).is_some_and(|subs| subs.contains(&conn))
    }

    /// The topics `conn` is subscribed to, in lexicographic order.
    pub fn topics_of(&self, conn: u64) -> impl Iterator<Item = &str> + '_ {
        self.by_conn.get(&conn).into_iter().flatten().map(String::as_str)
    }

    /// Whether no connection is subscribed to anything.
    pub fn is_empty(&self) -> bool {
        self.by_topic.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn subs(t: &Topics, topic: &str) -> Vec<u64> {
        t.subscribers(topic).collect()
    }

    #[test]
    fn subscribe_is_idempotent() {
        let mut t = Topics::new();
        assert!(t.subscribe(1, "a"));
        assert!(!t.subscribe(1, "a"));
        assert_eq!(subs(&t, "a"), vec![1]);
        assert_eq!(t.subscriber_count("a"), 1);
    }

    #[test]
    fn subscribers_are_in_ascending_id_order() {
        let mut t = Topics::new();
        for id in [42, 7, 1000, 3, 7] {
            t.subscribe(id, "odom");
        }
        assert_eq!(subs(&t, "odom"), vec![3, 7, 42, 1000]);
        assert_eq!(subs(&t, "other"), Vec::<u64>::new());
    }

    #[test]
    fn unsubscribe_when_not_subscribed_is_ok() {
        let mut t = Topics::new();
        assert!(!t.unsubscribe(1, "a"));
        t.subscribe(2, "a");
        assert!(!t.unsubscribe(1, "a"));
        assert!(t.unsubscribe(2, "a"));
        assert!(!t.unsubscribe(2, "a"));
        assert!(t.is_empty());
    }

    #[test]
    fn remove_connection_forgets_everything() {
        let mut t = Topics::new();
        t.subscribe(1, "a");
        t.subscribe(1, "b");
        t.subscribe(2, "b");
        assert_eq!(t.topics_of(1).collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(t.remove_connection(1), 2);
        assert_eq!(t.remove_connection(1), 0);
        assert!(!t.is_subscribed(1, "a"));
        assert_eq!(subs(&t, "a"), Vec::<u64>::new());
        assert_eq!(subs(&t, "b"), vec![2]);
        assert_eq!(t.topics_of(1).count(), 0);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Sub(u64, u8),
        Unsub(u64, u8),
        Remove(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u64..6, 0u8..4).prop_map(|(c, t)| Op::Sub(c, t)),
            (0u64..6, 0u8..4).prop_map(|(c, t)| Op::Unsub(c, t)),
            (0u64..6).prop_map(Op::Remove),
        ]
    }

    proptest! {
        #[test]
        fn matches_a_naive_set_model(ops in prop::collection::vec(op(), 0..60)) {
            let mut t = Topics::new();
            let mut naive: HashSet<(u64, String)> = HashSet::new();
            for op in ops {
                match op {
                    Op::Sub(c, k) => {
                        let topic = format!("t{k}");
                        prop_assert_eq!(t.subscribe(c, &topic), naive.insert((c, topic)));
                    }
                    Op::Unsub(c, k) => {
                        let topic = format!("t{k}");
                        prop_assert_eq!(t.unsubscribe(c, &topic), naive.remove(&(c, topic)));
                    }
                    Op::Remove(c) => {
                        let before = naive.len();
                        naive.retain(|(conn, _)| *conn != c);
                        prop_assert_eq!(t.remove_connection(c), before - naive.len());
                    }
                }
                for k in 0..4u8 {
                    let topic = format!("t{k}");
                    let mut want: Vec<u64> = naive
                        .iter()
                        .filter(|(_, tp)| *tp == topic)
                        .map(|(c, _)| *c)
                        .collect();
                    want.sort_unstable();
                    prop_assert_eq!(subs(&t, &topic), want);
                }
                prop_assert_eq!(t.is_empty(), naive.is_empty());
            }
        }
    }
}
