//! The xArm controller's own TCP protocol, as UFactory's SDK speaks it: the private Modbus-TCP-like frames on
//! port 502, the register table over the shared controller, and the binary reports of ports 30000-30003.

pub mod feedback;
pub mod frame;
pub mod io;
pub mod poses;
pub mod registers;
pub mod report;
pub mod tool;

pub use feedback::FeedbackTag;
pub use frame::{Decoder, FrameError, Incoming, Request};
pub use io::ControllerIo;
pub use registers::{Ctx, REGISTERS, TcpWaiter, handle};
pub use report::{ReportInput, ReportKind};
