//! The WebSocket library's client slots (`WEBSOCKETS_SERVER_CLIENT_MAX 5`): a new client takes the lowest
//! free slot, so ids are reused; a sixth concurrent client is refused.

use super::ConnectError;

/// Clients one server holds at once.
pub const MAX_CLIENTS: usize = 5;

/// Which slots are taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slots([bool; MAX_CLIENTS]);

impl Slots {
    /// Takes the lowest free slot.
    pub fn take(&mut self) -> Result<u8, ConnectError> {
        let free = self.0.iter().position(|taken| !taken).ok_or(ConnectError::Full)?;
        self.0[free] = true;
        Ok(free as u8)
    }

    /// Frees `slot`; `false` if it was not taken.
    pub fn free(&mut self, slot: u8) -> bool {
        match self.0.get_mut(usize::from(slot)) {
            Some(taken) if *taken => {
                *taken = false;
                true
            }
            _ => false,
        }
    }

    /// Whether `slot` is taken.
    pub fn is_taken(&self, slot: u8) -> bool {
        self.0.get(usize::from(slot)).copied().unwrap_or(false)
    }

    /// The taken slots, lowest first.
    pub fn taken(&self) -> impl Iterator<Item = u8> + '_ {
        (0..MAX_CLIENTS as u8).filter(|&s| self.is_taken(s))
    }

    /// Whether any slot is taken.
    pub fn any(&self) -> bool {
        self.0.iter().any(|t| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused_lowest_first_and_bounded() {
        let mut s = Slots::default();
        assert_eq!((s.take(), s.take()), (Ok(0), Ok(1)));
        assert!(s.free(0));
        assert!(!s.free(0));
        assert!(!s.free(9));
        assert_eq!(s.take(), Ok(0));
        for expected in 2..5 {
            assert_eq!(s.take(), Ok(expected));
        }
        assert_eq!(s.take(), Err(ConnectError::Full));
        assert_eq!(s.taken().count(), 5);
    }
}
