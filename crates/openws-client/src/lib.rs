#![doc = include_str!("../README.md")]

pub mod codegen;
mod connection;
mod error;
mod frame;
mod typed;

pub use connection::{Client, ClientBuilder, DEFAULT_INBOX_CAPACITY, DEFAULT_TIMEOUT, Sender};
pub use error::{ClientError, CloseInfo, DecodeError};
pub use frame::{ErrorFrame, Frame, MalformedFrame, MessageFrame};
pub use openws_core::ErrorCode;
pub use typed::TypedClient;
