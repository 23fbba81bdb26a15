//! The pure rules of a fleet of devices: which shard runs device (kind, index), which address it gets in a
//! fleet network, and the seed it derives its noise from. Each is a function of the device alone.

use std::net::Ipv4Addr;

use crate::seed::stable_hash;

/// How many equal blocks a fleet network is cut into: one per device kind, by its place in the registry.
pub const KIND_BLOCKS: u32 = 16;

/// The master seed of fleet device `index` of `kind`: what its streams derive from, whatever else runs.
pub fn member_seed(master_seed: u64, kind: &str, index: u32) -> u64 {
    stable_hash(master_seed, &[b"fleet", kind.as_bytes(), &index.to_le_bytes()])
}

/// The shard (0..`shards`) that runs device `index` of `kind`: rendezvous (highest random weight) hashing,
/// so that going from n to n+1 shards moves only the devices the new shard wins (about 1/(n+1) of them),
/// and going back moves them home. `shards` of 0 reads as 1.
pub fn shard_of(kind: &str, index: u32, shards: u32) -> u32 {
    (0..shards.max(1))
        .max_by_key(|shard| {
            (
                stable_hash(
                    0,
                    &[b"shard", kind.as_bytes(), &index.to_le_bytes(), &shard.to_le_bytes()],
                ),
                *shard,
            )
        })
        .unwrap_or(0)
}

/// The address of device `index` (from 1) of the kind in registry place `kind_slot` in the network
/// `base/prefix`: the network is cut into [`KIND_BLOCKS`] equal blocks, the kind takes block `kind_slot`, and
/// the device is `index` addresses into it (127.16.0.0/12: endrpi 1 is 127.16.0.1, the second kind's
/// device 1 is 127.17.0.1). `None` when the index does not fit in the block or the slot is past the last.
pub fn net_address(base: Ipv4Addr, prefix: u8, kind_slot: u32, index: u32) -> Option<Ipv4Addr> {
    let block = block_size(prefix)?;
    if kind_slot >= KIND_BLOCKS || index == 0 || index >= block {
        return None;
    }
    let network = u32::from(base) & mask(prefix);
    Some(Ipv4Addr::from(network + kind_slot * block + index))
}

/// The most devices of one kind a network of this prefix holds (a block's addresses but its first).
pub fn net_capacity(prefix: u8) -> u32 {
    block_size(prefix).map_or(0, |block| block - 1)
}

/// Addresses per kind's block, if the prefix leaves at least two per block.
fn block_size(prefix: u8) -> Option<u32> {
    let host_bits = 32u32.checked_sub(u32::from(prefix))?;
    let block_bits = host_bits.checked_sub(KIND_BLOCKS.trailing_zeros())?;
    (block_bits >= 1).then(|| 1u32 << block_bits)
}

fn mask(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_seed_depends_on_its_own_names_only_and_is_pinned() {
        assert_eq!(member_seed(0, "endrpi", 17), member_seed(0, "endrpi", 17));
        assert_ne!(member_seed(0, "endrpi", 17), member_seed(0, "endrpi", 18));
        assert_ne!(member_seed(0, "endrpi", 17), member_seed(1, "endrpi", 17));
        assert_ne!(member_seed(0, "endrpi", 17), member_seed(0, "xarm", 17));
        // Changing this changes every fleet device of every user: do it deliberately.
        assert_eq!(member_seed(0, "endrpi", 1), PINNED_ENDRPI_1);
    }
    const PINNED_ENDRPI_1: u64 = 9_686_726_426_364_912_277;

    #[test]
    fn every_device_has_one_shard_and_growing_moves_only_what_the_new_shard_wins() {
        let devices = 1..=10_000u32;
        for n in 1..=8u32 {
            let before: Vec<u32> = devices.clone().map(|i| shard_of("endrpi", i, n)).collect();
            let after: Vec<u32> = devices.clone().map(|i| shard_of("endrpi", i, n + 1)).collect();
            assert!(before.iter().all(|s| *s < n));
            let moved = before.iter().zip(&after).filter(|(b, a)| b != a).count();
            assert!(
                before.iter().zip(&after).all(|(b, a)| b == a || *a == n),
                "only to the new shard"
            );
            let share = 10_000 / (n + 1) as usize;
            assert!(
                moved.abs_diff(share) < share / 5 + 50,
                "n={n}: {moved} moved, about {share} expected"
            );
            for shard in 0..n {
                let count = before.iter().filter(|s| **s == shard).count();
                let fair = 10_000 / n as usize;
                assert!(count.abs_diff(fair) < fair / 5 + 50, "n={n} shard {shard}: {count}");
            }
        }
        assert_eq!(shard_of("xarm", 5, 0), 0);
    }

    #[test]
    fn addresses_follow_the_documented_rule() {
        let net = Ipv4Addr::new(127, 16, 0, 0);
        assert_eq!(net_address(net, 12, 0, 1), Some(Ipv4Addr::new(127, 16, 0, 1)));
        assert_eq!(net_address(net, 12, 0, 300), Some(Ipv4Addr::new(127, 16, 1, 44)));
        assert_eq!(net_address(net, 12, 1, 1), Some(Ipv4Addr::new(127, 17, 0, 1)));
        assert_eq!(net_address(net, 12, 15, 65_535), Some(Ipv4Addr::new(127, 31, 255, 255)));
        assert_eq!(net_address(net, 12, 0, 65_536), None);
        assert_eq!(net_address(net, 12, 0, 0), None);
        assert_eq!(net_address(net, 12, 16, 1), None);
        // Host bits in the base are ignored; a /24 gives each kind 16 addresses.
        let small = Ipv4Addr::new(10, 0, 0, 99);
        assert_eq!(net_address(small, 24, 2, 3), Some(Ipv4Addr::new(10, 0, 0, 35)));
        assert_eq!((net_capacity(24), net_capacity(12), net_capacity(31)), (15, 65_535, 0));
        assert_eq!(net_address(small, 28, 0, 1), None);
        assert_eq!(
            net_address(Ipv4Addr::UNSPECIFIED, 0, 1, 1),
            Some(Ipv4Addr::new(16, 0, 0, 1))
        );
    }
}
