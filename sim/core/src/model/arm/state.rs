//! Controller state machine: state 1 moving / 2 sleeping / 3 paused / 4 stopped, mode 0..=7,
//! error and warning codes, motion enable and a latched emergency stop.

/// The controller's `state` as the SDK and Studio report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MotionState {
    /// 1: executing a motion.
    Moving = 1,
    /// 2: idle, ready for motion.
    Sleeping = 2,
    /// 3: motion suspended; `set_state(0)` resumes.
    Paused = 3,
    /// 4: stopped; `set_state(0)` is needed before moving.
    Stopped = 4,
}

impl MotionState {
    /// The integer reported as `xarm_state`.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// Why a state change or motion was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateError {
    /// An emergency stop is latched: clear errors, then re-enable.
    EmergencyStop,
    /// A controller error is uncleared.
    HasError,
    /// A controller warning is uncleared.
    HasWarning,
    /// Motion is not enabled.
    NotEnabled,
    /// The state does not allow motion (stopped or paused).
    NotReady,
    /// `set_state` with a value other than 0, 3 or 4.
    InvalidState,
    /// `set_mode` with a value outside 0..=7.
    InvalidMode,
}

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for StateError {}

/// State, mode, error/warning codes, enable and e-stop latch of one arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArmState {
    state: MotionState,
    mode: u8,
    error_code: i32,
    warn_code: i32,
    enabled: bool,
    estop: bool,
}

impl Default for ArmState {
    /// Enabled, position mode, sleeping: ready to move.
    fn default() -> Self {
        ArmState {
            state: MotionState::Sleeping,
            mode: 0,
            error_code: 0,
            warn_code: 0,
            enabled: true,
            estop: false,
        }
    }
}

impl ArmState {
    /// Current state.
    pub fn state(&self) -> MotionState {
        self.state
    }

    /// Current mode (0 position, 1 servo, 2 joint teach, 3 cartesian teach, 4 joint velocity,
    /// 5 cartesian velocity, 6 joint online, 7 cartesian online).
    pub fn mode(&self) -> u8 {
        self.mode
    }

    /// Uncleared controller error code (0 = none).
    pub fn error_code(&self) -> i32 {
        self.error_code
    }

    /// Uncleared controller warning code (0 = none).
    pub fn warn_code(&self) -> i32 {
        self.warn_code
    }

    /// Whether motion is enabled.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Whether an emergency stop is latched.
    pub fn is_estopped(&self) -> bool {
        self.estop
    }

    /// Emergency stop: state 4, motion disabled, and latched until [`ArmState::clear_error`].
    pub fn emergency_stop(&mut self) {
        self.estop = true;
        self.enabled = false;
        self.state = MotionState::Stopped;
    }

    /// Clears the error code and the e-stop latch (motion stays disabled until re-enabled).
    pub fn clear_error(&mut self) {
        self.error_code = 0;
        self.estop = false;
    }

    /// Clears the warning code.
    pub fn clear_warn(&mut self) {
        self.warn_code = 0;
    }

    /// Raises controller error `code` (0 clears it); a non-zero error stops the arm.
    pub fn set_error(&mut self, code: i32) {
        self.error_code = code;
        if code != 0 {
            self.state = MotionState::Stopped;
        }
    }

    /// Raises controller warning `code` (0 clears it).
    pub fn set_warn(&mut self, code: i32) {
        self.warn_code = code;
    }

    /// Enables or disables motion. Enabling is refused while an e-stop is latched; disabling
    /// stops the arm. Enabling leaves the state as is (`set_state(0)` makes it ready).
    pub fn motion_enable(&mut self, on: bool) -> Result<(), StateError> {
        if on && self.estop {
            return Err(StateError::EmergencyStop);
        }
        self.enabled = on;
        if !on {
            self.state = MotionState::Stopped;
        }
        Ok(())
    }

    /// `set_state`: 0 = ready (resumes a paused motion, otherwise sleeping), 3 = pause,
    /// 4 = stop. 0 is refused while e-stopped, in error or disabled.
    pub fn set_state(&mut self, code: u8) -> Result<(), StateError> {
        match code {
            0 => {
                self.check_ready_flags()?;
                self.state = match self.state {
                    MotionState::Paused | MotionState::Moving => MotionState::Moving,
                    MotionState::Sleeping | MotionState::Stopped => MotionState::Sleeping,
                };
                Ok(())
            }
            3 => {
                if self.state == MotionState::Moving {
                    self.state = MotionState::Paused;
                }
                Ok(())
            }
            4 => {
                self.state = MotionState::Stopped;
                Ok(())
            }
            _ => Err(StateError::InvalidState),
        }
    }

    /// `set_mode`: stores mode 0..=7; like the controller, the arm then needs `set_state(0)`.
    pub fn set_mode(&mut self, mode: u8) -> Result<(), StateError> {
        if mode > 7 {
            return Err(StateError::InvalidMode);
        }
        self.mode = mode;
        self.state = MotionState::Stopped;
        Ok(())
    }

    fn check_ready_flags(&self) -> Result<(), StateError> {
        if self.estop {
            Err(StateError::EmergencyStop)
        } else if self.error_code != 0 {
            Err(StateError::HasError)
        } else if !self.enabled {
            Err(StateError::NotEnabled)
        } else {
            Ok(())
        }
    }

    /// Whether a new motion may start now; uncleared warnings also refuse (api code 2).
    pub fn check_can_move(&self) -> Result<(), StateError> {
        self.check_ready_flags()?;
        if self.warn_code != 0 {
            return Err(StateError::HasWarning);
        }
        match self.state {
            MotionState::Moving | MotionState::Sleeping => Ok(()),
            MotionState::Paused | MotionState::Stopped => Err(StateError::NotReady),
        }
    }

    /// Starts a motion (state 1) if [`ArmState::check_can_move`] allows it.
    pub fn begin_motion(&mut self) -> Result<(), StateError> {
        self.check_can_move()?;
        self.state = MotionState::Moving;
        Ok(())
    }

    /// Marks the motion finished: moving becomes sleeping; other states are kept.
    pub fn finish_motion(&mut self) {
        if self.state == MotionState::Moving {
            self.state = MotionState::Sleeping;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cycle() {
        let mut s = ArmState::default();
        assert_eq!(s.state().code(), 2);
        assert_eq!(s.begin_motion(), Ok(()));
        assert_eq!(s.state().code(), 1);
        assert_eq!(s.set_state(3), Ok(()));
        assert_eq!(s.state().code(), 3);
        assert_eq!(s.begin_motion(), Err(StateError::NotReady));
        assert_eq!(s.set_state(0), Ok(()));
        assert_eq!(s.state(), MotionState::Moving);
        s.finish_motion();
        assert_eq!(s.state(), MotionState::Sleeping);
        assert_eq!(s.set_state(4), Ok(()));
        assert_eq!(s.check_can_move(), Err(StateError::NotReady));
        assert_eq!(s.set_state(0), Ok(()));
        assert_eq!(s.state(), MotionState::Sleeping);
        assert_eq!(s.set_state(7), Err(StateError::InvalidState));
    }

    #[test]
    fn emergency_stop_needs_clear_and_enable() {
        let mut s = ArmState::default();
        assert!(s.begin_motion().is_ok());
        s.emergency_stop();
        assert_eq!(s.state().code(), 4);
        assert_eq!(s.begin_motion(), Err(StateError::EmergencyStop));
        assert_eq!(s.set_state(0), Err(StateError::EmergencyStop));
        assert_eq!(s.motion_enable(true), Err(StateError::EmergencyStop));
        s.clear_error();
        assert_eq!(s.set_state(0), Err(StateError::NotEnabled));
        assert_eq!(s.motion_enable(true), Ok(()));
        assert_eq!(s.begin_motion(), Err(StateError::NotReady));
        assert_eq!(s.set_state(0), Ok(()));
        assert_eq!(s.begin_motion(), Ok(()));
    }

    #[test]
    fn errors_warnings_and_modes() {
        let mut s = ArmState::default();
        s.set_error(22);
        assert_eq!(s.state(), MotionState::Stopped);
        assert_eq!(s.begin_motion(), Err(StateError::HasError));
        s.clear_error();
        assert!(s.set_state(0).is_ok());
        s.set_warn(11);
        assert_eq!(s.begin_motion(), Err(StateError::HasWarning));
        s.clear_warn();
        assert_eq!(s.set_mode(8), Err(StateError::InvalidMode));
        assert_eq!(s.set_mode(2), Ok(()));
        assert_eq!((s.mode(), s.state()), (2, MotionState::Stopped));
        assert!(s.set_state(0).is_ok());
        assert!(s.begin_motion().is_ok());
        assert_eq!(s.motion_enable(false), Ok(()));
        assert_eq!(s.begin_motion(), Err(StateError::NotEnabled));
    }
}
