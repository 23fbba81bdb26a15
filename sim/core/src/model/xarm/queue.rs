//! The controller's motion queue: planned moves run back to back in sim time, can be paused (frozen and
//! later shifted), stopped where they are, or retired once finished. Pure: every answer is a function of the plans and a time.

use std::collections::VecDeque;

use crate::model::arm::{ArmMotion, Timed};
use crate::time::SimTime;

/// One planned move and who waits for its end.
#[derive(Clone, Debug, PartialEq)]
pub struct Queued<W> {
    /// The timed plan.
    pub motion: ArmMotion,
    /// Who gets the final code when the move ends (`None` for steps of a long press).
    pub waiter: Option<W>,
}

/// Planned moves, executed one after the other from rest to rest.
#[derive(Clone, Debug, PartialEq)]
pub struct MotionQueue<W> {
    rest: Vec<f64>,
    items: VecDeque<Queued<W>>,
    paused_at: Option<SimTime>,
}

impl<W> MotionQueue<W> {
    /// An idle queue holding the arm at `joints` (rad).
    pub fn at_rest(joints: Vec<f64>) -> Self {
        MotionQueue {
            rest: joints,
            items: VecDeque::new(),
            paused_at: None,
        }
    }

    /// Whether no move is planned.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// When each planned move ends, the running one first (as planned: a pause shifts them later).
    pub fn end_times(&self) -> impl Iterator<Item = SimTime> + '_ {
        self.items.iter().map(|q| q.motion.end_time())
    }

    /// How many moves are planned (the one under way included).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the queue is frozen by a pause.
    pub fn is_paused(&self) -> bool {
        self.paused_at.is_some()
    }

    /// The joints the last planned move ends at (the rest joints when idle): where a new move starts.
    pub fn end_joints(&self) -> &[f64] {
        self.items.back().map_or(&self.rest, |q| q.motion.final_joints())
    }

    /// When a move appended now would start: at `now`, or when the last planned move ends.
    pub fn next_start(&self, now: SimTime) -> SimTime {
        self.items.back().map_or(now, |q| q.motion.end_time().max(now))
    }

    /// Appends a move planned to start at [`MotionQueue::next_start`].
    pub fn push(&mut self, motion: ArmMotion, waiter: Option<W>) {
        self.items.push_back(Queued { motion, waiter });
    }

    /// The end of the move in progress, if it is running (not paused).
    pub fn head_end(&self) -> Option<SimTime> {
        match self.paused_at {
            Some(_) => None,
            None => self.items.front().map(|q| q.motion.end_time()),
        }
    }

    /// The waiter of the last planned move, if any.
    pub fn last_waiter(&self) -> Option<&W> {
        self.items.back().and_then(|q| q.waiter.as_ref())
    }

    /// `(joints rad, joint velocities rad/s)` at `t`. A paused queue holds still where it was paused.
    pub fn sample(&self, t: SimTime) -> (Vec<f64>, Vec<f64>) {
        if let Some(p) = self.paused_at {
            let (q, v) = self.sample_running(p);
            let zero = vec![0.0; v.len()];
            return (q, zero);
        }
        self.sample_running(t)
    }

    fn sample_running(&self, t: SimTime) -> (Vec<f64>, Vec<f64>) {
        match self.items.iter().find(|q| q.motion.end_time() > t) {
            Some(q) => q.motion.sample(t),
            None => {
                let end = self.end_joints().to_vec();
                let n = end.len();
                (end, vec![0.0; n])
            }
        }
    }

    /// Whether a move is under way at `t` (planned to cover `t` and not paused).
    pub fn is_moving_at(&self, t: SimTime) -> bool {
        self.paused_at.is_none()
            && self
                .items
                .iter()
                .any(|q| q.motion.start_time() <= t && q.motion.end_time() > t)
    }

    /// Retires every move finished by `t` (none while paused) and returns them in order.
    pub fn retire(&mut self, t: SimTime) -> Vec<Queued<W>> {
        let mut done = Vec::new();
        if self.paused_at.is_some() {
            return done;
        }
        while self.items.front().is_some_and(|q| q.motion.end_time() <= t) {
            if let Some(q) = self.items.pop_front() {
                self.rest = q.motion.final_joints().to_vec();
                done.push(q);
            }
        }
        done
    }

    /// Stops at once at `t`: the arm stays where it is and every planned move is dropped and returned.
    pub fn stop(&mut self, t: SimTime) -> Vec<Queued<W>> {
        self.rest = self.sample(t).0;
        self.paused_at = None;
        self.items.drain(..).collect()
    }

    /// Freezes the queue at `t` (no effect when idle or already paused).
    pub fn pause(&mut self, t: SimTime) {
        if self.paused_at.is_none() && !self.items.is_empty() {
            self.paused_at = Some(t);
        }
    }

    /// Resumes a paused queue at `t`: every planned move is shifted by the time spent paused.
    pub fn resume(&mut self, t: SimTime) {
        if let Some(p) = self.paused_at.take() {
            let shift = t.saturating_since(p);
            for q in &mut self.items {
                q.motion.delay(shift);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::arm::JointMotion;

    fn ms(v: u64) -> SimTime {
        SimTime::from_millis(v)
    }

    fn joint_move(from: f64, to: f64, t0: u64) -> ArmMotion {
        ArmMotion::Joint(JointMotion::plan(&[from], &[to], 1.0, 10.0, ms(t0)).unwrap())
    }

    #[test]
    fn moves_run_back_to_back_and_retire_in_order() {
        let mut q: MotionQueue<&str> = MotionQueue::at_rest(vec![0.0]);
        assert_eq!(q.next_start(ms(5)), ms(5));
        q.push(joint_move(0.0, 1.0, 5), Some("a"));
        let second_start = q.next_start(ms(6));
        assert_eq!(second_start, ms(1105)); // 1 rad at 1 rad/s plus 0.1 s of ramps
        q.push(joint_move(1.0, 0.5, second_start.as_millis()), Some("b"));
        assert_eq!(q.end_joints(), &[0.5]);
        assert!(q.is_moving_at(ms(600)) && q.is_moving_at(ms(1200)));
        assert_eq!(q.sample(ms(1105)).0, vec![1.0]);
        let done = q.retire(ms(1200));
        assert_eq!(done.iter().map(|d| d.waiter).collect::<Vec<_>>(), vec![Some("a")]);
        let done = q.retire(ms(10_000));
        assert_eq!(done.len(), 1);
        assert!(q.is_empty() && !q.is_moving_at(ms(10_000)));
        assert_eq!(q.sample(ms(20_000)), (vec![0.5], vec![0.0]));
    }

    #[test]
    fn a_pause_freezes_and_a_resume_shifts_the_plan() {
        let mut q: MotionQueue<()> = MotionQueue::at_rest(vec![0.0]);
        q.push(joint_move(0.0, 1.0, 0), None);
        let (at_pause, _) = q.sample(ms(500));
        q.pause(ms(500));
        assert_eq!(q.head_end(), None);
        assert_eq!(q.sample(ms(900)), (at_pause.clone(), vec![0.0]));
        assert!(q.retire(ms(5000)).is_empty());
        q.resume(ms(2500));
        assert_eq!(q.sample(ms(2500)).0, at_pause);
        assert_eq!(q.head_end(), Some(ms(1100 + 2000)));
        assert_eq!(q.retire(ms(3100)).len(), 1);
    }

    #[test]
    fn a_stop_keeps_the_arm_where_it_is() {
        let mut q: MotionQueue<u8> = MotionQueue::at_rest(vec![0.0]);
        q.push(joint_move(0.0, 1.0, 0), Some(1));
        q.push(joint_move(1.0, 2.0, 1100), Some(2));
        let here = q.sample(ms(300)).0;
        let dropped = q.stop(ms(300));
        assert_eq!(dropped.len(), 2);
        assert_eq!(q.end_joints(), here.as_slice());
        assert!(here[0] > 0.0 && here[0] < 1.0);
        assert_eq!(q.sample(ms(5000)).0, here);
    }
}
